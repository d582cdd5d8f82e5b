//! Colour for verdicts and statuses in the terminal tables: whole words get ANSI styles after the
//! table is laid out (escape codes take no columns, so alignment holds), and `anstream` strips
//! them again when the stream is not a terminal or `NO_COLOR` is set.

use anstyle::{AnsiColor, Style};

const BAD: Style = AnsiColor::Red.on_default().bold();
const GOOD: Style = AnsiColor::Green.on_default();
const UNSURE: Style = AnsiColor::Yellow.on_default();

/// The words painted, longest first where one contains another.
const WORDS: &[(&str, Style)] = &[
    // Gate verdicts.
    ("regressed", BAD),
    ("broken", BAD),
    ("improved", GOOD),
    ("unchanged", GOOD),
    ("inconclusive", UNSURE),
    ("not comparable", UNSURE),
    // Case checks.
    ("FAILED", BAD),
    ("DEADLOCKED", BAD),
    ("ERROR", BAD),
    ("ok", GOOD),
    ("race observed", UNSURE),
    // Race-detection verdicts.
    ("FALSE POSITIVE", BAD),
    ("MISSED", BAD),
    ("caught", GOOD),
    ("clean", GOOD),
];

/// `text` with every whole-word occurrence of a status word wrapped in its style.
pub fn paint(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    'scan: while let Some(c) = rest.chars().next() {
        let before = out.chars().last();
        if before.is_none_or(|b| !is_word(b)) {
            for (word, style) in WORDS {
                if let Some(after) = rest.strip_prefix(word)
                    && after.chars().next().is_none_or(|a| !is_word(a))
                {
                    out.push_str(&format!("{style}{word}{style:#}"));
                    rest = after;
                    continue 'scan;
                }
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '/'
}

/// Prints `text` to stdout, coloured when stdout is a terminal and `NO_COLOR` is unset.
pub fn print(text: &str) {
    anstream::print!("{}", paint(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_are_painted_and_the_visible_text_is_unchanged() {
        let text = "counter/mutex@1  -12.0% [-15, -9]  regressed  ok (10 checked)\nbroken-ish okay";
        let painted = paint(text);
        assert!(
            painted.contains(&format!("{BAD}regressed{BAD:#}")),
            "{painted:?}"
        );
        assert!(
            painted.contains(&format!("{GOOD}ok{GOOD:#}")),
            "{painted:?}"
        );
        // Parts of other words are left alone.
        assert!(painted.ends_with("\nbroken-ish okay"), "{painted:?}");
        let mut plain = Vec::new();
        let mut stream = anstream::StripStream::new(&mut plain);
        std::io::Write::write_all(&mut stream, painted.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(plain).unwrap(), text);
    }
}
