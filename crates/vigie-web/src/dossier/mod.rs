//! The dossier screens: the list and the name search ([`list`], its filter form in
//! [`filters`]), the read-only view ([`read`], its view model in [`view`]), the form for
//! creating and modifying a dossier (the typed values in [`form`], the page and its
//! handlers in [`edit`]), the history of its changes ([`history`]), and the request for an
//! accès exceptionnel on a dossier outside one's scope ([`break_glass`]).

pub mod break_glass;
pub mod edit;
pub mod filters;
pub mod form;
pub mod history;
pub mod list;
pub mod read;
pub mod view;
