//! The password policy (CNIL, délibération 2022-100, for an account protected by a second
//! factor and login throttling): at least 12 characters, long passphrases accepted (up to
//! 1,024 characters, pasting allowed), refused when it is one of the most common passwords
//! (the 30,000-word `passwords` dictionary of zxcvbn), contains the login or the user's
//! name, or is easy to guess by zxcvbn's estimate. No periodic change is ever forced.

use zxcvbn::Score;
use zxcvbn::matching::patterns::MatchPattern;

use crate::DomainError;

/// The fewest characters accepted.
pub const MIN_CHARS: usize = 12;
/// The most characters accepted (a passphrase; bounded because hashing reads all of it).
pub const MAX_CHARS: usize = 1024;
/// French keyboard rows and common French passwords, which zxcvbn's English-centred
/// dictionaries and QWERTY graphs miss; matched as extra dictionary words.
const FRENCH: &[&str] = &[
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "poiuytreza",
    "mlkjhgfdsq",
    "nbvcxw",
    "azerty",
    "motdepasse",
    "soleil",
    "doudou",
    "chouchou",
    "loulou",
    "marseille",
    "jetaime",
    "bonjour",
    "coucou",
    "tintin",
    "caramel",
    "princesse",
    "chocolat",
    "papillon",
    "bisounours",
    "liberte",
    "egalite",
    "fraternite",
    "vivelavie",
    "camille",
    "nicolas",
    "bretagne",
    "departement",
    "enfance",
    "crip",
    "vigie",
];
/// zxcvbn looks at this many characters at most (its matching grows with the length).
const ESTIMATE_CHARS: usize = 100;

/// Checks a new password for a user; `field` names the form field in the error.
pub fn check(
    field: &str,
    password: &str,
    login: &str,
    display_name: &str,
) -> Result<(), DomainError> {
    let label = "Nouveau mot de passe";
    let err = |m: &str| Err(DomainError::field(field, label, m));
    let n = password.chars().count();
    if n < MIN_CHARS {
        return err(&format!(
            "{MIN_CHARS} caractères au moins ({n} saisis). Une phrase de passe de plusieurs mots est plus facile à retenir."
        ));
    }
    if n > MAX_CHARS {
        return err(&format!("{MAX_CHARS} caractères au plus ({n} saisis)."));
    }
    let lower = password.to_lowercase();
    let login = login.trim().to_lowercase();
    if login.len() >= 2 && lower.contains(&login) {
        return err("Le mot de passe ne doit pas contenir l'identifiant.");
    }
    let head: String = password.chars().take(ESTIMATE_CHARS).collect();
    let inputs: Vec<&str> = std::iter::once(login.as_str())
        .chain(display_name.split_whitespace())
        .filter(|s| s.chars().count() >= 3)
        .chain(FRENCH.iter().copied())
        .collect();
    let estimate = zxcvbn::zxcvbn(&head, &inputs);
    if is_common(&estimate) {
        return err(
            "Ce mot de passe fait partie des mots de passe les plus répandus : choisissez-en un autre.",
        );
    }
    if estimate.score() < Score::Three {
        return err(
            "Ce mot de passe est trop facile à deviner (mot courant, nom, date, suite de clavier ou répétition) : allongez-le ou ajoutez des mots inattendus.",
        );
    }
    Ok(())
}

/// Whether the whole password is one entry of the common-passwords dictionary (possibly
/// with capitals, reversed or with l33t substitutions).
fn is_common(estimate: &zxcvbn::Entropy) -> bool {
    match estimate.sequence() {
        [m] => matches!(&m.pattern, MatchPattern::Dictionary(d)
            if format!("{:?}", d.dictionary_name) == "Passwords"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(pw: &str) -> Option<String> {
        check("password", pw, "jdupont", "Jeanne Dupont")
            .err()
            .map(|e| e.fields()[0].message.clone())
    }

    #[test]
    fn accepts_a_passphrase_and_long_inputs() {
        assert_eq!(msg("cheval-agrafe-pile-correcte"), None);
        assert_eq!(msg("Ma tante Ursule plante 7 bégonias"), None);
        let long = "mot-de-passe-très-long-".repeat(40);
        assert!(long.chars().count() > 128 && long.chars().count() <= MAX_CHARS);
        assert_eq!(msg(&long), None);
    }

    #[test]
    fn refuses_short_long_login_common_and_weak() {
        assert!(msg("court1!").unwrap().contains("12 caractères au moins"));
        assert!(msg(&"x".repeat(MAX_CHARS + 1)).unwrap().contains("au plus"));
        assert!(msg("xx-JDupont-2024-zz").unwrap().contains("identifiant"));
        // Entries of zxcvbn's common-passwords dictionary that are 12 characters or more.
        for common in [
            "1qaz2wsx3edc",
            "qwertyuiop12",
            "password1234",
            "Q1W2E3R4T5Y6",
        ] {
            let m = msg(common).unwrap();
            assert!(
                m.contains("plus répandus") || m.contains("trop facile"),
                "{common}: {m}"
            );
        }
        assert!(msg("aaaaaaaaaaaaaaaa").unwrap().contains("trop facile"));
        assert!(msg("azertyuiopqsdf").is_some());
    }

    #[test]
    fn the_common_list_goes_beyond_ten_thousand_entries() {
        // Near the end of zxcvbn's 30,000-entry list (ranks beyond 29,000), and near its head.
        for p in ["geekboy", "travka", "mercede1", "123456", "azerty"] {
            assert!(is_common(&zxcvbn::zxcvbn(p, &[])), "{p}");
        }
        assert!(!is_common(&zxcvbn::zxcvbn("cheval-agrafe-pile", &[])));
    }
}
