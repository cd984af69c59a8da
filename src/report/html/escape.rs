//! Escaping caller text for HTML and SVG: element text and attribute values alike.
//!
//! Names and figures come from data files, so they are hostile: `<script>` or `"&` must come
//! out as text, never as markup. The five characters that can open a tag, end an attribute
//! value or start an entity are replaced; everything else passes through.

/// `text` with `&`, `<`, `>`, `"` and `'` written as character references, safe inside an
/// element and inside an attribute value quoted with either quote.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
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
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
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
