//! Oversight screens for the responsable CRIP: the audit trail, its search and export
//! ([`trail`]), and the accès exceptionnels granted ([`break_glass`]).

pub mod break_glass;
pub mod trail;
