//! Version 8: the name search reads a few hundred keys where it intersected every person
//! of each common word typed (`vigie_domain::search::keys`).
//!
//! `person_key` and `adult_key` get a key per pair of a person's name pieces
//! (`fp:LA|np:MARTIN`), and `person_key` a key per piece and birth year (`np:MARTIN|2019`,
//! `np:MARTIN|?` when unknown): no new table, the keys are recomputed for every person and
//! adult ([`crate::name_keys::rebuild`]).
