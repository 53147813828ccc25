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
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let mapped: &str = match c {
            'œ' | 'Œ' => "oe",
            'æ' | 'Æ' => "ae",
            'ß' => "ss",
            _ => "",
        };
        if !mapped.is_empty() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push_str(mapped);
        } else if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
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
    // Nasals: en/em → an, ain/ein/im/ym → in, om → on.
    let t = t
        .replace("em", "an")
        .replace("en", "an")
        .replace("am", "an")
        .replace("im", "in");
    // Silent endings.
    let mut t = t;
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

/// The keys stored for a name (one family of keys per kind of name, e.g. `n` for
/// family names and `f` for first names): each word normalised (`n:`) and phonetic
/// (`np:`), plus the whole name without spaces for compound names.
pub fn keys(prefix: &str, name: &str) -> Vec<String> {
    let words = tokens(name);
    let mut out = Vec::new();
    for w in &words {
        out.push(format!("{prefix}:{w}"));
        let p = phonetic(w);
        if !p.is_empty() {
            out.push(format!("{prefix}p:{p}"));
        }
    }
    if words.len() > 1 {
        let joined: String = words.concat();
        out.push(format!("{prefix}:{joined}"));
    }
    out.sort();
    out.dedup();
    out
}

/// How well a typed query matches a name: 0 none, 1 phonetic, 2 normalised word, 3 whole name.
pub fn score(query: &str, name: &str) -> u8 {
    let q = tokens(query);
    let n = tokens(name);
    if q.is_empty() || n.is_empty() {
        return 0;
    }
    if q == n || q.concat() == n.concat() {
        return 3;
    }
    let words = |a: &[String], b: &[String]| a.iter().all(|w| b.contains(w));
    if words(&q, &n) {
        return 2;
    }
    let qp: Vec<String> = q.iter().map(|w| phonetic(w)).collect();
    let np: Vec<String> = n.iter().map(|w| phonetic(w)).collect();
    if words(&qp, &np) { 1 } else { 0 }
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
    }

    #[test]
    fn score_ranks_exact_above_phonetic() {
        assert_eq!(score("LEFÈVRE", "Lefevre"), 3);
        assert_eq!(score("dubois", "Lefèvre-Dubois"), 2);
        assert_eq!(score("lefebvre", "Lefèvre"), 1);
        assert_eq!(score("martin", "Lefèvre"), 0);
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
