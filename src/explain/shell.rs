//! Follow-up commands as a POSIX shell reads them: each argument that the shell would
//! split, glob or expand (`saving[finance]`, a key with a space) in single quotes.

use std::borrow::Cow;

/// `args` as one command line to paste into a shell: `assay explain 'saving[finance]' …`.
pub fn command(args: &[String]) -> String {
    args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

/// One argument, quoted when the shell would otherwise change it: in single quotes, each
/// single quote inside written `'\''` (close, an escaped quote, reopen).
pub fn quote(arg: &str) -> Cow<'_, str> {
    // Characters no POSIX shell treats specially anywhere in a word.
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-.,/:=@%+".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        Cow::Borrowed(arg)
    } else {
        Cow::Owned(format!("'{}'", arg.replace('\'', r"'\''")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_the_shell_would_change_are_quoted() {
        assert_eq!(quote("--entity"), "--entity");
        assert_eq!(quote("2009/10"), "2009/10");
        assert_eq!(quote("org_type=small,a"), "org_type=small,a");
        assert_eq!(quote("saving[finance]"), "'saving[finance]'");
        assert_eq!(quote("St Mary's"), r"'St Mary'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("~x"), "'~x'");
        assert_eq!(quote("a*b$c"), "'a*b$c'");
        let args = ["explain", "saving[finance]", "--entity", "A 1"].map(String::from);
        assert_eq!(command(&args), "explain 'saving[finance]' --entity 'A 1'");
    }
}
