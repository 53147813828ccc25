//! The password policy (CNIL, délibération 2022-100, for an account protected by a second
//! factor and login throttling): at least 12 characters, long passphrases accepted (up to
//! 1,024 characters, pasting allowed), refused when it is one of the most common passwords
//! (the 30,000-word `passwords` dictionary of zxcvbn), contains the login, or is easy to
//! guess by zxcvbn's estimate — which is given what an attacker would try first: the
//! user's names and login, the département's name and its communes' names and postal
//! codes, and the years around now ([`Context`]). No periodic change is ever forced.
//! The CLI, the administration and « Mon compte » use this one rule.

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

/// What the rule knows about the account and the place: what an attacker tries first.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub login: String,
    /// The user's name as the administration shows it (« Marie Dupont »).
    pub display_name: String,
    /// Names of the département(s) served and of their communes, postal codes.
    pub local_words: Vec<String>,
    /// The current year: it and the years around it are guessed first.
    pub year: i32,
}

/// The words of a name, normalised (lower case, no accents), with the name also joined
/// (« Jean-Marc » gives « jean », « marc » and « jeanmarc »).
fn words(name: &str) -> Vec<String> {
    let parts: Vec<String> = crate::names::normalize(name)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let joined: String = parts.concat();
    let mut out = parts;
    out.push(joined);
    out
}

/// What zxcvbn is told an attacker tries first: the years around now, the words of the
/// login, of the user's name and of the local names, the French words.
fn inputs_for(ctx: &Context) -> Vec<String> {
    let mut owned: Vec<String> = words(&ctx.login);
    owned.extend(words(&ctx.display_name));
    for w in &ctx.local_words {
        owned.extend(words(w));
    }
    owned.retain(|w| w.chars().count() >= 3);
    owned.sort();
    owned.dedup();
    let years = (ctx.year - 10..=ctx.year + 2)
        .filter(|_| ctx.year > 0)
        .map(|y| y.to_string());
    years
        .chain(owned)
        .chain(FRENCH.iter().map(|w| (*w).to_owned()))
        .collect()
}

/// Lower case without accents, symbols kept (unlike [`crate::names::normalize`]).
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether what is left of the password, once the context's words (names, places, years,
/// French words) are taken out, is easy to guess: zxcvbn alone scores « soleil2024soleil »
/// or « Bourges18000!! » as fair, since each known word still counts for 50 guesses. A
/// word of four characters or more is taken out wherever it appears (« soleil2024 »); a
/// shorter one (« sur », « les ») only as a whole word, so that ordinary words survive.
fn guessable_beyond_context(password: &str, inputs: &[String]) -> bool {
    let folded = fold(password);
    let mut known: Vec<&str> = inputs.iter().map(String::as_str).collect();
    // Longest first: « mariedupont » goes before « marie ».
    known.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    let short: std::collections::HashSet<&str> = known
        .iter()
        .copied()
        .filter(|w| w.chars().count() < 4)
        .collect();
    let mut rest = folded;
    for w in known.iter().filter(|w| w.chars().count() >= 4) {
        rest = rest.replace(w, " ");
    }
    let rest: Vec<&str> = rest
        .split(|c: char| c.is_whitespace() || c == '-' || c == '\'')
        .filter(|t| !t.is_empty() && !short.contains(t))
        .collect();
    let rest = rest.join(" ");
    rest.chars().count() < 8 || zxcvbn::zxcvbn(&rest, &[]).score() < Score::Three
}

/// Checks a new password for a user; `field` names the form field in the error.
pub fn check(field: &str, password: &str, ctx: &Context) -> Result<(), DomainError> {
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
    // The web refuses control characters in every field: a password holding one could
    // never be typed at the login page.
    if let Some(c) = crate::text::forbidden_char(password, false) {
        return err(&crate::text::forbidden_message(c));
    }
    let lower = password.to_lowercase();
    let login = ctx.login.trim().to_lowercase();
    if login.len() >= 2 && lower.contains(&login) {
        return err("Le mot de passe ne doit pas contenir l'identifiant.");
    }
    let head: String = password.chars().take(ESTIMATE_CHARS).collect();
    let owned = inputs_for(ctx);
    let inputs: Vec<&str> = owned.iter().map(String::as_str).collect();
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
    if guessable_beyond_context(&head, &owned) {
        return err(
            "Ce mot de passe repose sur votre nom, votre identifiant, le département, une de ses communes, une année ou un mot courant : ajoutez des mots sans rapport avec vous.",
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

    pub(super) fn ctx(login: &str, name: &str) -> Context {
        Context {
            login: login.into(),
            display_name: name.into(),
            local_words: vec![
                "Cher".into(),
                "Bourges".into(),
                "18000".into(),
                "Vierzon".into(),
            ],
            year: 2026,
        }
    }

    fn msg(pw: &str) -> Option<String> {
        check("password", pw, &ctx("jdupont", "Jeanne Dupont"))
            .err()
            .map(|e| e.fields()[0].message.clone())
    }

    #[test]
    fn names_places_and_years_make_a_password_easy_to_guess() {
        let marie = ctx("mdupont", "Marie Dupont");
        for pw in ["soleil2024soleil", "Bourges18000!!", "marie-dupont-1975"] {
            let e = check("password", pw, &marie);
            assert!(e.is_err(), "{pw} must be refused");
        }
        let passphrase = "la chouette grise traverse le pont des arts sous une pluie fine.";
        assert_eq!(passphrase.chars().count(), 64);
        assert!(check("password", passphrase, &marie).is_ok());
    }

    #[test]
    fn ordinary_words_survive_the_place_names_and_control_characters_are_refused() {
        let mut c = ctx("mdupont", "Marie Dupont");
        c.local_words = [
            "Saint-Martin-des-Champs",
            "Vailly-sur-Sauldre",
            "Les Aix",
            "Presly",
            "Bois-de-Pres",
        ]
        .map(String::from)
        .to_vec();
        assert!(check("p", "mesurer les desserts aux presbyteres", &c).is_ok());
        assert!(check("p", "!@#$%^&*()_+[]{}", &c).is_ok());
        let e = check("p", "une phrase\tavec tabulation", &c).unwrap_err();
        assert!(e.fields()[0].message.contains("U+0009"), "{e}");
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
