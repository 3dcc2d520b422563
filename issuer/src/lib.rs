//! Reference issuer.
