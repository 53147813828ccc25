//! Name search keys: a normalised form (no accents, lower case, œ→oe, hyphens and
//! apostrophes as separators) and a French phonetic key. Both are computed here,
//! stored in indexed columns by the store, and candidates are ranked here, so that
//! SQLite and PostgreSQL return the same results.
//!
//! The phonetic key is a small French algorithm written for Vigie: the phonetic
//! encoders of the `rphonetic` crate are built for English (Soundex, Metaphone…) or,
//! for Beider-Morse, produce up to thirty codes per name (and its French rule set
//! panicked when tried), which makes poor indexed keys.

use unicode_normalization::UnicodeNormalization;

/// Lower case, accents removed, ligatures expanded, every non-letter/digit run turned into one space.
///
/// Idempotent: the text is lowered before it is decomposed and every letter is lowered again
/// after, so that a capital whose small form is itself mapped (`ẞ` → `ß` → `ss`) or a
/// compatibility character decomposing into capitals (`㎒` → `MHz`) gives the same result on a
/// second pass.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let lowered = s.chars().flat_map(char::to_lowercase);
    for c in lowered.nfkd().flat_map(char::to_lowercase) {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let mapped: &str = match c {
            'œ' => "oe",
            'æ' => "ae",
            'ß' => "ss",
            // Letters that Unicode does not decompose into a base letter and an accent.
            'ı' => "i",
            'ł' => "l",
            'đ' | 'ð' => "d",
            'ø' => "o",
            'þ' => "th",
            _ => "",
        };
        if !mapped.is_empty() || c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            if mapped.is_empty() {
                out.push(c);
            } else {
                out.push_str(mapped);
            }
        } else {
            pending_space = true;
        }
    }
    out
}

/// The words of a name, normalised.
pub fn tokens(s: &str) -> Vec<String> {
    normalize(s)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A French phonetic key for one normalised word: sounds that are written differently
/// get the same key (Lefebvre/Lefèvre, Gauthier/Gautier, Héloïse/Éloïse, Dupont/Dupond).
pub fn phonetic(word: &str) -> String {
    let w: String = normalize(word)
        .chars()
        .filter(char::is_ascii_lowercase)
        .collect();
    if w.is_empty() {
        return String::new();
    }
    let mut s = w;
    // Multi-letter spellings first, longest first.
    const RULES: &[(&str, &str)] = &[
        ("eaux", "o"),
        ("eau", "o"),
        ("aux", "o"),
        ("sch", "ch"),
        ("ph", "f"),
        ("th", "t"),
        ("gh", "g"),
        ("ck", "k"),
        ("qu", "k"),
        ("q", "k"),
        ("ge", "je"),
        ("gi", "ji"),
        ("gy", "ji"),
        ("gu", "g"),
        ("ce", "se"),
        ("ci", "si"),
        ("cy", "si"),
        ("ç", "s"),
        ("ch", "#"), // keep "ch" apart from c→k
        ("c", "k"),
        ("#", "ch"),
        ("bv", "v"),
        ("w", "v"),
        ("y", "i"),
        ("z", "s"),
        ("ai", "e"),
        ("ei", "e"),
        ("au", "o"),
        ("ou", "u"),
        ("oi", "oa"),
        ("eu", "e"),
    ];
    for (from, to) in RULES {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    // Silent h (but not in "ch").
    let mut t = String::with_capacity(s.len());
    let mut prev = '\0';
    for c in s.chars() {
        if c == 'h' && prev != 'c' {
            continue;
        }
        t.push(c);
        prev = c;
    }
    // Double letters, then nasals before a consonant or at the end (en/em/am → an,
    // im → in, om → on; « Mohamed » keeps its « am », « Florent » gets « an »).
    let mut single: Vec<char> = Vec::with_capacity(t.len());
    for c in t.chars() {
        if single.last() != Some(&c) {
            single.push(c);
        }
    }
    let vowel = |c: Option<&char>| c.is_some_and(|c| "aeiouy".contains(*c));
    let mut t = String::with_capacity(single.len());
    for (i, &c) in single.iter().enumerate() {
        let nasal = matches!(c, 'm' | 'n') && !vowel(single.get(i + 1));
        match (t.chars().last(), c) {
            (Some('e' | 'a'), 'm' | 'n') if nasal => {
                t.pop();
                t.push_str("an");
            }
            (Some('i'), 'm') if nasal => t.push('n'),
            (Some('o'), 'm') if nasal => t.push('n'),
            _ => t.push(c),
        }
    }
    // Silent endings.
    for end in ["ent", "es", "er", "ez", "et"] {
        if t.len() > end.len() + 1 && t.ends_with(end) {
            t.truncate(t.len() - end.len());
            t.push('e');
            break;
        }
    }
    while t.len() > 1 && (t.ends_with(['d', 't', 's', 'x', 'e'])) {
        t.pop();
    }
    // Double letters.
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

/// Words that join a family name to what follows (« de La Tour », « Ben Ali », « El Amrani »,
/// « Van Damme », « d'Arc »): typed or not, joined or not, a search still finds the name.
pub const PARTICLES: &[&str] = &[
    "d", "l", "de", "du", "des", "la", "le", "les", "van", "von", "der", "den", "ter", "ten",
    "ben", "bin", "ibn", "bint", "ould", "el", "al", "da", "das", "do", "dos", "di", "del",
    "della", "dal", "mac", "mc",
];

/// Whether a normalised word is a particle ([`PARTICLES`]).
pub fn is_particle(word: &str) -> bool {
    PARTICLES.contains(&word)
}

/// At most this many words are joined into one piece of a name.
pub const MAX_JOINED: usize = 4;

/// The pieces of a name: each word, and each run of consecutive words joined without
/// space (« de La Tour » → de, la, tour, dela, latour, delatour), so that a name typed
/// joined or split at its spaces, hyphens and apostrophes is found.
pub fn pieces(name: &str) -> Vec<String> {
    let words = tokens(name);
    let mut out = Vec::new();
    for start in 0..words.len() {
        for end in start + 1..=(start + MAX_JOINED).min(words.len()) {
            out.push(words[start..end].concat());
        }
    }
    out
}

/// The words one deletion away from `word` (the neighbourhood that finds a typo:
/// two words within one edit share one of these, or one is the other's).
pub fn deletions(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out: Vec<String> = (0..chars.len())
        .map(|i| {
            chars
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| c)
                .collect()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The keys stored for a name (one family of keys per kind of name, e.g. `n` for
/// family names and `f` for first names): each of its [`pieces`] normalised (`n:`)
/// and phonetic (`np:`).
pub fn keys(prefix: &str, name: &str) -> Vec<String> {
    keys_and_atoms(prefix, name, &mut std::collections::BTreeSet::new())
}

/// [`keys`], and the atom of each piece added to `atoms` (see
/// [`crate::search::keys::atom`]), each piece's phonetic key computed once.
pub fn keys_and_atoms(
    prefix: &str,
    name: &str,
    atoms: &mut std::collections::BTreeSet<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for piece in pieces(name) {
        let p = phonetic(&piece);
        atoms.insert(crate::search::keys::atom(prefix, &piece, &p));
        out.push(format!("{prefix}:{piece}"));
        if !p.is_empty() {
            out.push(format!("{prefix}p:{p}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalizes_accents_case_ligatures_and_separators() {
        assert_eq!(normalize("Éloïse"), "eloise");
        assert_eq!(normalize("LEFÈVRE"), "lefevre");
        assert_eq!(normalize("Lefèvre-Dubois"), "lefevre dubois");
        assert_eq!(normalize("N'Diaye"), "n diaye");
        assert_eq!(normalize("  Cœur   d’Alène "), "coeur d alene");
        assert_eq!(normalize("Ægidius"), "aegidius");
        assert_eq!(
            normalize("Yılmaz Łukasz Đorđe Søren"),
            "yilmaz lukasz dorde soren"
        );
        // Found by the property below: a capital whose small form is mapped, a compatibility
        // character made of capitals.
        assert_eq!(normalize("STRAẞE"), "strasse");
        assert_eq!(normalize("ẞ"), normalize(&normalize("ẞ")));
        assert_eq!(normalize("10 ㎒"), "10 mhz");
    }

    #[test]
    fn phonetic_groups_french_spellings() {
        let same = [
            ("lefebvre", "lefevre"),
            ("gauthier", "gautier"),
            ("heloise", "eloise"),
            ("dupont", "dupond"),
            ("thomas", "tomas"),
            ("philippe", "filipe"),
            ("rousseau", "rousso"),
            ("mathis", "matis"),
            ("clement", "klement"),
            ("jeanne", "jeane"),
            ("guerin", "gairin"),
        ];
        for (a, b) in same {
            assert_eq!(phonetic(a), phonetic(b), "{a} / {b}");
        }
        let different = [
            ("martin", "bernard"),
            ("dubois", "durand"),
            ("lea", "leo"),
            ("petit", "robert"),
        ];
        for (a, b) in different {
            assert_ne!(phonetic(a), phonetic(b), "{a} / {b}");
        }
    }

    #[test]
    fn keys_cover_words_and_compound_names() {
        let k = keys("n", "Lefèvre-Dubois");
        assert!(k.contains(&"n:lefevre".to_owned()));
        assert!(k.contains(&"n:dubois".to_owned()));
        assert!(k.contains(&"n:lefevredubois".to_owned()));
        assert!(k.contains(&format!("np:{}", phonetic("lefebvre"))));
        let k = keys("n", "de La Tour");
        for piece in ["de", "la", "tour", "dela", "latour", "delatour"] {
            assert!(k.contains(&format!("n:{piece}")), "{piece}");
        }
        assert_eq!(deletions("anna"), ["ana", "ann", "nna"]);
    }

    proptest! {
        #[test]
        fn normalize_is_idempotent(s in "\\PC{0,30}") {
            let n = normalize(&s);
            prop_assert_eq!(normalize(&n), n.clone());
            let p = phonetic(&s);
            prop_assert!(p.chars().all(|c| c.is_ascii_lowercase()));
        }
    }
}
