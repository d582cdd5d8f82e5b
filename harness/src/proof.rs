//! The proof of a case: every sample's validation outcome folded into the case's verdict.

use contend_reports::schema::Validation;
use contend_workloads::Outcome;

/// Tallies of validation across samples.
#[derive(Default)]
pub struct Proof {
    checked: u32,
    failed: u32,
    first_error: Option<String>,
    damaged: u32,
    damage: u64,
    first_damage: Option<String>,
}

impl Proof {
    pub fn add(&mut self, outcome: Outcome, expected_race: bool) {
        self.checked += 1;
        match outcome {
            Outcome::Valid | Outcome::RaceUnobserved => {}
            Outcome::RaceDamage { damage, detail } if expected_race => {
                self.damaged += 1;
                self.damage += damage;
                self.first_damage.get_or_insert(detail);
            }
            Outcome::RaceDamage { detail, .. } | Outcome::Invalid(detail) => {
                self.failed += 1;
                self.first_error.get_or_insert(detail);
            }
        }
    }

    pub fn fail(&mut self, error: String) {
        self.failed += 1;
        self.first_error.get_or_insert(error);
    }

    pub fn validation(self, expected_race: bool) -> Validation {
        if self.checked == 0 && self.failed == 0 {
            Validation::NotRun
        } else if self.failed > 0 {
            Validation::Failed {
                samples_failed: self.failed,
                first_error: self.first_error.unwrap_or_default(),
            }
        } else if expected_race && self.damaged > 0 {
            Validation::RaceObserved {
                samples_damaged: self.damaged,
                samples_checked: self.checked,
                total_damage: self.damage,
                first_detail: self.first_damage.unwrap_or_default(),
            }
        } else if expected_race {
            Validation::RaceNotObserved {
                samples_checked: self.checked,
            }
        } else {
            Validation::Passed {
                samples_checked: self.checked,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn damage() -> Outcome {
        Outcome::RaceDamage {
            damage: 7,
            detail: "lost 7".into(),
        }
    }

    #[test]
    fn damage_is_expected_of_racy_variants_only() {
        let mut racy = Proof::default();
        racy.add(Outcome::RaceUnobserved, true);
        racy.add(damage(), true);
        assert!(matches!(
            racy.validation(true),
            Validation::RaceObserved {
                samples_damaged: 1,
                samples_checked: 2,
                total_damage: 7,
                ..
            }
        ));
        let mut correct = Proof::default();
        correct.add(damage(), false);
        assert!(matches!(
            correct.validation(false),
            Validation::Failed {
                samples_failed: 1,
                ..
            }
        ));
    }

    #[test]
    fn nothing_checked_is_not_run_and_clean_racy_runs_say_so() {
        assert_eq!(Proof::default().validation(false), Validation::NotRun);
        let mut p = Proof::default();
        p.add(Outcome::RaceUnobserved, true);
        assert_eq!(
            p.validation(true),
            Validation::RaceNotObserved { samples_checked: 1 }
        );
    }
}
