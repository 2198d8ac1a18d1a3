//! Errors of the metrics: inputs that cannot give a meaningful number.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum EvalError {
    /// A sample that must not be empty (or must hold at least `needed` entries) is too small.
    #[error("{what}: needs at least {needed} entries, got {got}")]
    TooFew {
        what: &'static str,
        needed: usize,
        got: usize,
    },
    /// Two inputs that must agree in length or dimension do not.
    #[error("{what}: lengths differ ({left} vs {right})")]
    Mismatch {
        what: &'static str,
        left: usize,
        right: usize,
    },
    /// A parameter or input value outside its domain (unsorted edges, NaN, probability > 1, ...).
    #[error("{what}: {message}")]
    Invalid { what: &'static str, message: String },
}

pub type Result<T> = std::result::Result<T, EvalError>;

pub(crate) fn need(what: &'static str, needed: usize, got: usize) -> Result<()> {
    if got < needed {
        Err(EvalError::TooFew { what, needed, got })
    } else {
        Ok(())
    }
}

pub(crate) fn same(what: &'static str, left: usize, right: usize) -> Result<()> {
    if left != right {
        Err(EvalError::Mismatch { what, left, right })
    } else {
        Ok(())
    }
}

pub(crate) fn invalid(what: &'static str, message: impl Into<String>) -> EvalError {
    EvalError::Invalid {
        what,
        message: message.into(),
    }
}
