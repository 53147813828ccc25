//! Unit tests of the shared pieces (the drawing is tested in `tests/svg.rs`).

use super::*;

fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

#[test]
fn palette_contrasts_at_least_3_to_1_on_white() {
    for colour in PALETTE {
        let ratio = 1.05 / (luminance(colour) + 0.05);
        assert!(ratio >= 3.0, "{colour}: {ratio:.2}");
    }
    assert!(1.05 / (luminance(INK) + 0.05) >= 7.0);
}

#[test]
fn truncates_with_an_ellipsis() {
    assert_eq!(truncate("  Nord  ", 10), "Nord");
    assert_eq!(truncate("Protection de l'enfance", 10), "Protectio…");
    assert_eq!(truncate("Aide sociale à l'enfance", 6), "Aide…");
}
