//! Oversight screens for the responsable CRIP: the audit trail, its search and export
//! ([`trail`], its action labels in [`actions`], the CSV in [`export`]), and the accès exceptionnels granted ([`break_glass`]).

pub mod actions;
pub mod break_glass;
pub mod export;
pub mod trail;
