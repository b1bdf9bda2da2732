//! Credit on a family's account (My Account, "Credit (if enabled)"): staff post a credit to the
//! ledger; it waits there, not lowering what is owed, until the family applies it with Apply Credit.
//! An application never takes more than is outstanding or than the credit left.

use crate::payments::Balance;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    #[error("This organization does not offer credit in the Customer Portal.")]
    Disabled,
    #[error("There is no credit to apply to outstanding charges.")]
    NothingToApply,
    #[error("amount_cents must be between 1 and {max}: the credit available and the amount outstanding.")]
    TooMuch { max: i64 },
}

/// The ledger's sums that the balance and credit come from, in cents (each a sum of positive
/// amounts of its kinds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerSums {
    /// Charges and refunds: they add to what is owed.
    pub owed: i64,
    pub paid: i64,
    pub credited: i64,
    pub applied: i64,
}

impl LedgerSums {
    /// Charges and refunds less payments and applied credit (negative when overpaid).
    fn net(&self) -> i64 {
        self.owed - self.paid - self.applied
    }

    /// What is outstanding, and the credit: the credit not yet applied plus any overpayment.
    pub fn balance(&self) -> Balance {
        let net = self.net();
        Balance {
            outstanding_cents: net.max(0),
            credit_cents: self.unapplied() + (-net).max(0),
        }
    }

    /// Posted credit not yet applied (an overpayment already lowers the balance by itself).
    pub fn unapplied(&self) -> i64 {
        (self.credited - self.applied).max(0)
    }

    /// The most one Apply Credit may take: no more than is outstanding nor than the credit left.
    pub fn applicable(&self) -> i64 {
        self.unapplied().min(self.net().max(0))
    }
}

/// How much Apply Credit applies: `requested`, or by default as much as both allow.
pub fn amount_to_apply(sums: &LedgerSums, requested: Option<i64>) -> Result<i64, CreditError> {
    let max = sums.applicable();
    if max == 0 {
        return Err(CreditError::NothingToApply);
    }
    match requested {
        None => Ok(max),
        Some(a) if (1..=max).contains(&a) => Ok(a),
        Some(_) => Err(CreditError::TooMuch { max }),
    }
}

/// The ledger's words for an application.
pub const APPLIED_DESCRIPTION: &str = "Credit applied to outstanding charges";

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(owed: i64, paid: i64, credited: i64, applied: i64) -> LedgerSums {
        LedgerSums { owed, paid, credited, applied }
    }

    #[test]
    fn credit_does_not_lower_the_balance_until_applied() {
        let b = sums(5000, 0, 2000, 0).balance();
        assert_eq!((b.outstanding_cents, b.credit_cents), (5000, 2000));
        let b = sums(5000, 0, 2000, 2000).balance();
        assert_eq!((b.outstanding_cents, b.credit_cents), (3000, 0));
    }

    #[test]
    fn an_overpayment_is_credit_too_but_nothing_to_apply() {
        let s = sums(1000, 1500, 0, 0);
        assert_eq!(s.balance().credit_cents, 500);
        assert_eq!(amount_to_apply(&s, None), Err(CreditError::NothingToApply));
    }

    #[test]
    fn apply_credit_takes_no_more_than_is_outstanding_or_available() {
        assert_eq!(amount_to_apply(&sums(5000, 0, 2000, 0), None), Ok(2000));
        assert_eq!(amount_to_apply(&sums(1500, 0, 2000, 0), None), Ok(1500));
        assert_eq!(amount_to_apply(&sums(5000, 0, 2000, 0), Some(700)), Ok(700));
        assert_eq!(amount_to_apply(&sums(5000, 0, 2000, 0), Some(2001)), Err(CreditError::TooMuch { max: 2000 }));
        assert_eq!(amount_to_apply(&sums(5000, 0, 2000, 0), Some(0)), Err(CreditError::TooMuch { max: 2000 }));
    }

    #[test]
    fn nothing_to_apply_without_credit_or_without_charges() {
        assert_eq!(amount_to_apply(&sums(5000, 0, 0, 0), None), Err(CreditError::NothingToApply));
        assert_eq!(amount_to_apply(&sums(0, 0, 2000, 0), None), Err(CreditError::NothingToApply));
        assert_eq!(amount_to_apply(&sums(5000, 0, 2000, 2000), Some(1)), Err(CreditError::NothingToApply));
    }
}
