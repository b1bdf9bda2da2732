//! Evaluations: staff record how a student does in a few skills (`not_yet`, `progressing`,
//! `passed`) with a note; the family reads them newest first, and Evaluated Skills, the latest
//! level of each skill.

use crate::text::single_line;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

pub const MAX_SKILLS: usize = 50;
pub const MAX_SKILL_NAME: usize = 100;
pub const MAX_NOTE: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    /// Input that breaks a rule, with the field it is about (its path in the request).
    #[error("{message}")]
    Invalid { field: String, message: String },
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> EvaluationError {
    EvaluationError::Invalid { field: field.into(), message: message.into() }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkillLevel {
    NotYet,
    Progressing,
    Passed,
}

impl SkillLevel {
    /// As a family reads it.
    pub fn words(self) -> &'static str {
        match self {
            SkillLevel::NotYet => "Not yet",
            SkillLevel::Progressing => "Progressing",
            SkillLevel::Passed => "Passed",
        }
    }
}

/// One skill and the level the student showed in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skill {
    pub name: String,
    pub level: SkillLevel,
}

/// An evaluation as staff record it, checked: one to `MAX_SKILLS` skills, each named once (a name
/// on one line), and a note of at most `MAX_NOTE` characters (blank: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationSpec {
    pub skills: Vec<Skill>,
    pub note: Option<String>,
}

impl EvaluationSpec {
    pub fn parse(skills: Vec<Skill>, note: Option<&str>) -> Result<EvaluationSpec, EvaluationError> {
        if skills.is_empty() {
            return Err(invalid("skills", "An evaluation names at least one skill."));
        }
        if skills.len() > MAX_SKILLS {
            return Err(invalid("skills", format!("An evaluation names at most {MAX_SKILLS} skills.")));
        }
        let mut checked: Vec<Skill> = Vec::with_capacity(skills.len());
        for (i, skill) in skills.into_iter().enumerate() {
            let field = format!("skills[{i}].name");
            let name = single_line(&skill.name, MAX_SKILL_NAME)
                .ok_or_else(|| invalid(&field, format!("A skill's name is one line of 1 to {MAX_SKILL_NAME} characters.")))?;
            if checked.iter().any(|s| same_skill(&s.name, &name)) {
                return Err(invalid(&field, format!("{name} is named twice.")));
            }
            checked.push(Skill { name, level: skill.level });
        }
        let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
            None => None,
            Some(n) if n.chars().count() > MAX_NOTE || n.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') => {
                return Err(invalid("note", format!("The note is at most {MAX_NOTE} characters of text.")));
            }
            Some(n) => Some(n.to_string()),
        };
        Ok(EvaluationSpec { skills: checked, note })
    }
}

/// Skills are the same whatever the letter case ("Float" and "float").
fn same_skill(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// A skill's latest level, and when it was evaluated (Evaluated Skills).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvaluatedSkill {
    pub name: String,
    pub level: SkillLevel,
    pub evaluated_at: Timestamp,
}

/// The latest level of each skill over a student's evaluations (in any order), by skill name. Of
/// two evaluations at the same moment, the later in the list wins.
pub fn evaluated_skills<'a>(evaluations: impl IntoIterator<Item = (Timestamp, &'a [Skill])>) -> Vec<EvaluatedSkill> {
    let mut latest: Vec<EvaluatedSkill> = Vec::new();
    for (at, skills) in evaluations {
        for skill in skills {
            match latest.iter_mut().find(|s| same_skill(&s.name, &skill.name)) {
                Some(known) if known.evaluated_at > at => {}
                Some(known) => *known = EvaluatedSkill { name: skill.name.clone(), level: skill.level, evaluated_at: at },
                None => latest.push(EvaluatedSkill { name: skill.name.clone(), level: skill.level, evaluated_at: at }),
            }
        }
    }
    latest.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()));
    latest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(name: &str, level: SkillLevel) -> Skill {
        Skill { name: name.into(), level }
    }

    #[test]
    fn an_evaluation_names_each_skill_once_on_one_line() {
        let ok = EvaluationSpec::parse(vec![skill(" Float ", SkillLevel::Passed)], Some("  Great week \n")).unwrap();
        assert_eq!(ok.skills, vec![skill("Float", SkillLevel::Passed)]);
        assert_eq!(ok.note.as_deref(), Some("Great week"));
        assert_eq!(EvaluationSpec::parse(vec![skill("Kick", SkillLevel::NotYet)], Some("   ")).unwrap().note, None);

        let field = |r: Result<EvaluationSpec, EvaluationError>| match r {
            Err(EvaluationError::Invalid { field, .. }) => field,
            Ok(_) => "ok".into(),
        };
        assert_eq!(field(EvaluationSpec::parse(vec![], None)), "skills");
        assert_eq!(field(EvaluationSpec::parse(vec![skill("", SkillLevel::Passed)], None)), "skills[0].name");
        assert_eq!(field(EvaluationSpec::parse(vec![skill("a\u{202E}b", SkillLevel::Passed)], None)), "skills[0].name");
        assert_eq!(field(EvaluationSpec::parse(vec![skill("Float", SkillLevel::Passed), skill("float", SkillLevel::NotYet)], None)), "skills[1].name");
        assert_eq!(field(EvaluationSpec::parse(vec![skill("Float", SkillLevel::Passed)], Some(&"x".repeat(MAX_NOTE + 1)))), "note");
        let many = (0..=MAX_SKILLS).map(|i| skill(&format!("s{i}"), SkillLevel::Passed)).collect();
        assert_eq!(field(EvaluationSpec::parse(many, None)), "skills");
    }

    #[test]
    fn evaluated_skills_keep_the_latest_level_of_each_skill() {
        let older = [skill("Float", SkillLevel::NotYet), skill("Kick", SkillLevel::Progressing)];
        let newer = [skill("float", SkillLevel::Passed)];
        // Newest first, as the family's list is ordered; the order does not matter.
        let skills = evaluated_skills([(Timestamp(200), &newer[..]), (Timestamp(100), &older[..])]);
        assert_eq!(
            skills,
            vec![
                EvaluatedSkill { name: "float".into(), level: SkillLevel::Passed, evaluated_at: Timestamp(200) },
                EvaluatedSkill { name: "Kick".into(), level: SkillLevel::Progressing, evaluated_at: Timestamp(100) },
            ]
        );
        assert!(evaluated_skills([]).is_empty());
    }
}
