//! Per-case regression thresholds: a default plus a tiny line-based config.
//!
//! ```text
//! # Contended cases are noisy here (12-22% per sample): gate them only on large changes.
//! counter/*@2/*        = 20%
//! counter/mutex        = 15%    # no `@`: matches the variant at every thread count and placement
//! queue/*@*/spread     = 10%
//! ```
//!
//! One rule per line: `PATTERN = PERCENT%`. `#` starts a comment; blank lines are ignored.
//! A pattern containing `@` is matched against the whole case key
//! (`family/variant@threads/placement`); one without `@` against the variant (`family/variant`).
//! `*` matches any run of characters (including `/` and `@`), `?` any one character.
//! When several rules match a case, the **last** one wins (as in `.gitignore` and CODEOWNERS),
//! so put broad rules first and exceptions after. Thresholds lie strictly between 0% and 100%.

/// A threshold rule from the config.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdRule {
    pub pattern: String,
    /// Fraction (0.15 = 15%).
    pub threshold: f64,
    /// 1-based line in the config it came from.
    pub line: usize,
}

/// The threshold for each case: the last matching rule, else the default.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Fraction (0.05 = 5%).
    pub default: f64,
    pub rules: Vec<ThresholdRule>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds::new(DEFAULT_THRESHOLD)
    }
}

/// The gate's default threshold: 5%.
pub const DEFAULT_THRESHOLD: f64 = 0.05;

/// [`DEFAULT_THRESHOLD`] as `--threshold` takes it (a test keeps the two equal).
pub const DEFAULT_THRESHOLD_TEXT: &str = "5%";

/// A config line that could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ConfigError {
    /// 1-based.
    pub line: usize,
    pub kind: ConfigErrorKind,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigErrorKind {
    #[error("expected `PATTERN = PERCENT%`")]
    MissingEquals,
    #[error("empty pattern before `=`")]
    EmptyPattern,
    #[error("pattern `{0}` contains whitespace")]
    SpaceInPattern(String),
    #[error(transparent)]
    Percent(#[from] PercentError),
}

/// A threshold that is not a percentage in (0%, 100%).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PercentError {
    #[error("`{0}` is not a percentage like `15%`")]
    Syntax(String),
    #[error("threshold `{0}` must be above 0% and below 100%")]
    OutOfRange(String),
}

/// Parses `15%` or `2.5%` into a fraction (0.15, 0.025); the `%` is required.
/// Also what the CLI's `--threshold` should use.
pub fn parse_percent(text: &str) -> Result<f64, PercentError> {
    let text = text.trim();
    let number = text
        .strip_suffix('%')
        .map(str::trim_end)
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| PercentError::Syntax(text.to_owned()))?;
    let value: f64 = number
        .parse()
        .map_err(|_| PercentError::Syntax(text.to_owned()))?;
    if value > 0.0 && value < 100.0 {
        Ok(value / 100.0)
    } else {
        Err(PercentError::OutOfRange(text.to_owned()))
    }
}

impl Thresholds {
    /// Every case gets `default` (a fraction).
    pub fn new(default: f64) -> Self {
        Thresholds {
            default,
            rules: Vec::new(),
        }
    }

    /// Parses a config (see the module docs); cases no rule matches get `default`.
    pub fn parse(text: &str, default: f64) -> Result<Self, ConfigError> {
        let mut rules = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let err = |kind| ConfigError { line, kind };
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let (pattern, value) = content
                .split_once('=')
                .ok_or_else(|| err(ConfigErrorKind::MissingEquals))?;
            let pattern = pattern.trim();
            if pattern.is_empty() {
                return Err(err(ConfigErrorKind::EmptyPattern));
            }
            if pattern.contains(char::is_whitespace) {
                return Err(err(ConfigErrorKind::SpaceInPattern(pattern.to_owned())));
            }
            let threshold = parse_percent(value).map_err(|e| err(e.into()))?;
            rules.push(ThresholdRule {
                pattern: pattern.to_owned(),
                threshold,
                line,
            });
        }
        Ok(Thresholds { default, rules })
    }

    /// The threshold for a case key `family/variant@threads/placement`.
    pub fn for_key(&self, key: &str) -> f64 {
        self.rule_for(key).map_or(self.default, |r| r.threshold)
    }

    /// The rule that sets a key's threshold, if any (the last matching one).
    pub fn rule_for(&self, key: &str) -> Option<&ThresholdRule> {
        let variant = key.split('@').next().unwrap_or(key);
        self.rules.iter().rev().find(|rule| {
            let subject = if rule.pattern.contains('@') {
                key
            } else {
                variant
            };
            glob_match(&rule.pattern, subject)
        })
    }
}

/// `*` matches any run of characters, `?` any single one; everything else literally.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it currently swallows up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_threshold_text_parses_to_the_default() {
        assert_eq!(
            super::parse_percent(super::DEFAULT_THRESHOLD_TEXT),
            Ok(super::DEFAULT_THRESHOLD)
        );
    }

    use super::*;

    #[test]
    fn globs_match_keys() {
        assert!(glob_match("counter/*@2/*", "counter/mutex@2/compact"));
        assert!(!glob_match("counter/*@2/*", "counter/mutex@12/compact"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a?c*", "abcdef"));
        assert!(!glob_match("a?c", "abcd"));
        assert!(glob_match("*mutex*", "counter/std-mutex"));
        assert!(glob_match("**/x", "a/b/x"));
    }

    #[test]
    fn last_matching_rule_wins_and_variant_patterns_ignore_threads() {
        let text = "\
# noisy contended cases
counter/*@2/*   = 20%
counter/atomic  = 12.5%   # every thread count
counter/atomic@2/spread = 30%

queue/* = 8%
";
        let t = Thresholds::parse(text, 0.05).unwrap();
        assert_eq!(t.rules.len(), 4);
        assert_eq!(t.for_key("counter/mutex@2/compact"), 0.20);
        assert_eq!(t.for_key("counter/mutex@1/compact"), 0.05);
        assert_eq!(t.for_key("counter/atomic@2/compact"), 0.125);
        assert_eq!(t.for_key("counter/atomic@2/spread"), 0.30);
        assert_eq!(t.for_key("queue/flume@4/none"), 0.08);
        assert_eq!(t.rule_for("queue/flume@4/none").unwrap().line, 6);
        assert_eq!(t.for_key("pool/rayon@4/none"), 0.05);
    }

    #[test]
    fn parse_errors_name_the_line() {
        let bad = |text: &str| Thresholds::parse(text, 0.05).unwrap_err();
        assert_eq!(
            bad("a = 5%\n\nb 5%"),
            ConfigError {
                line: 3,
                kind: ConfigErrorKind::MissingEquals
            }
        );
        assert_eq!(
            bad(" = 5%"),
            ConfigError {
                line: 1,
                kind: ConfigErrorKind::EmptyPattern
            }
        );
        assert_eq!(
            bad("# c\ncounter mutex = 5%").kind,
            ConfigErrorKind::SpaceInPattern("counter mutex".into())
        );
        assert_eq!(
            bad("a = 0.05").kind,
            ConfigErrorKind::Percent(PercentError::Syntax("0.05".into()))
        );
        assert_eq!(
            bad("a = 150%").kind,
            ConfigErrorKind::Percent(PercentError::OutOfRange("150%".into()))
        );
        assert_eq!(
            bad("a = 0%").to_string(),
            "line 1: threshold `0%` must be above 0% and below 100%"
        );
        assert_eq!(
            bad("a = -5%").kind,
            ConfigErrorKind::Percent(PercentError::Syntax("-5%".into()))
        );
    }

    #[test]
    fn percentages_parse() {
        assert_eq!(parse_percent("5%"), Ok(0.05));
        assert_eq!(parse_percent(" 2.5 % "), Ok(0.025));
        assert!(parse_percent("5").is_err());
        assert!(parse_percent("%").is_err());
        assert!(parse_percent("1e1%").is_err());
    }
}
