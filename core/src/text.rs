//! The one rule for text a person types into a single-line field (a name, a description): trimmed,
//! no control or format characters, at least one visible character, and not too long.
//!
//! Control characters (NUL, C0, C1) break e-mails, CSV exports and logs; format characters
//! (zero-width spaces, bidirectional overrides such as U+202E) make a name look like something
//! else ("\u{202E}gnp.exe" shows as "exe.png") or like nothing at all.

/// Unicode's format characters (general category Cf, Unicode 16). Written out rather than taken
/// from a Unicode-tables crate: these 21 ranges are all this rule needs, and a general-category
/// table would cost the Worker's upload tens of KiB for the other 29 categories.
const FORMAT_CHARACTERS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

fn is_format(c: char) -> bool {
    FORMAT_CHARACTERS.iter().any(|(first, last)| (*first..=*last).contains(&c))
}

/// Whether `c` may stand in a single-line text a person typed.
fn allowed(c: char) -> bool {
    !c.is_control() && !is_format(c)
}

/// The text trimmed, if it keeps the rule and has 1 to `max` characters.
pub fn single_line(input: &str, max: usize) -> Option<String> {
    let s = input.trim();
    let visible = s.chars().any(|c| !c.is_whitespace());
    (visible && s.chars().count() <= max && s.chars().all(allowed)).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::single_line;

    #[test]
    fn keeps_names_people_have() {
        assert_eq!(single_line("  Ann-Marie O'Neil ", 80).as_deref(), Some("Ann-Marie O'Neil"));
        assert_eq!(single_line("Zoë Çelik", 80).as_deref(), Some("Zoë Çelik"));
        assert_eq!(single_line("محمد", 80).as_deref(), Some("محمد"));
        assert_eq!(single_line("李小龍", 80).as_deref(), Some("李小龍"));
    }

    #[test]
    fn refuses_invisible_control_and_direction_characters() {
        for bad in ["", "   ", "\u{200B}", "\u{202E}gnp.exe", "Pool\u{0}", "Term\u{85}fee", "a\u{FEFF}b", "tab\there", "two\nlines"] {
            assert_eq!(single_line(bad, 80), None, "{bad:?}");
        }
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert!(single_line(&"é".repeat(80), 80).is_some());
        assert!(single_line(&"é".repeat(81), 80).is_none());
    }
}
