//! Escaping text for markup: HTML and SVG pages, and JUnit XML. Names and cell text come
//! from data files, so they are hostile: `<script>` or `"&` must come out as text, never as
//! markup, in an element or in an attribute value quoted with either quote.

/// `text` with `&`, `<`, `>`, `"` and `'` written as character references, and the
/// characters XML 1.0 cannot hold at all (most controls) replaced by U+FFFD. `&apos;` is
/// XML's and HTML5's alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_comes_out_inert() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &apos;y&apos;)&lt;/script&gt;"
        );
        assert_eq!(escape("<a href=\"x\">&'</a>\u{1}"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;\u{fffd}");
    }

    #[test]
    fn plain_text_and_non_ascii_pass_through() {
        assert_eq!(escape("St Mary’s £1,200 — 3 %"), "St Mary’s £1,200 — 3 %");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn an_entity_is_escaped_again_not_trusted() {
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }
}
