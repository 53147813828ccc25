//! The HTTP infrastructure, below every screen: errors as French pages and RFC 9457
//! problems ([`error`]), extractors that apply the domain's text rule ([`extract`]), the
//! session cookie ([`session`]), the client's address ([`client`]), security headers and
//! CSRF ([`security`]), the public URL guard ([`public_url`]), anonymous refusals counted
//! per minute ([`refusals`]), the clock ([`clock`]), bounded password hashing
//! ([`hashing`]), static files and the health check ([`assets`]).
//!
//! Nothing here imports a screen or the shared module.

pub mod assets;
pub mod client;
pub mod clock;
pub mod error;
pub mod extract;
pub mod hashing;
pub mod public_url;
pub mod refusals;
pub mod security;
pub mod session;
