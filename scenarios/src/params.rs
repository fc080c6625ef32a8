//! Scenario parameters: declared with defaults, given as `k=v`, stored in
//! the trace header as a JSON object of strings.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::Scenario;

/// One parameter of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    /// Its name.
    pub name: &'static str,
    /// Its default value.
    pub default: &'static str,
    /// What it means.
    pub help: &'static str,
}

/// A bad parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError(pub String);

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParamError {}

/// A scenario's parameter values, every declared one present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    scenario: &'static str,
    values: BTreeMap<String, String>,
}

impl Params {
    /// The defaults of `scenario`, overridden by `given`; an unknown name is
    /// an error listing the known ones.
    pub fn resolve(scenario: &dyn Scenario, given: &[(&str, &str)]) -> Result<Params, ParamError> {
        let mut values: BTreeMap<String, String> =
            scenario.params().iter().map(|p| (p.name.to_string(), p.default.to_string())).collect();
        for (k, v) in given {
            match values.get_mut(*k) {
                Some(slot) => *slot = v.to_string(),
                None => {
                    let known: Vec<&str> = scenario.params().iter().map(|p| p.name).collect();
                    return Err(ParamError(format!(
                        "scenario `{}` has no parameter `{k}`; its parameters are: {}",
                        scenario.name(),
                        if known.is_empty() { "(none)".to_string() } else { known.join(", ") }
                    )));
                }
            }
        }
        let params = Params { scenario: scenario.name(), values };
        Ok(params)
    }

    /// The parameters a run's config carries (as written by [`Params::to_json`]).
    pub fn from_json(scenario: &dyn Scenario, json: &serde_json::Value) -> Result<Params, ParamError> {
        let mut given = Vec::new();
        match json {
            serde_json::Value::Null => {}
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let v =
                        v.as_str().ok_or_else(|| ParamError(format!("parameter `{k}` must be a string, not {v}")))?;
                    given.push((k.as_str(), v));
                }
            }
            other => return Err(ParamError(format!("parameters must be a JSON object, not {other}"))),
        }
        Params::resolve(scenario, &given)
    }

    /// As a JSON object of strings, for the trace header.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.values.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect(),
        )
    }

    /// The value of `name` parsed as a `T`.
    pub fn get<T: FromStr>(&self, name: &str) -> Result<T, ParamError> {
        let raw = self
            .values
            .get(name)
            .ok_or_else(|| ParamError(format!("scenario `{}` has no parameter `{name}`", self.scenario)))?;
        raw.parse::<T>().map_err(|_| {
            ParamError(format!(
                "parameter `{name}` of scenario `{}`: cannot read `{raw}` as {}",
                self.scenario,
                std::any::type_name::<T>()
            ))
        })
    }

    /// `name` as a number within `range`.
    pub fn number(&self, name: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64, ParamError> {
        let n: u64 = self.get(name)?;
        if range.contains(&n) {
            Ok(n)
        } else {
            Err(ParamError(format!(
                "parameter `{name}` of scenario `{}` is {n}; expected {} to {}",
                self.scenario,
                range.start(),
                range.end()
            )))
        }
    }

    /// A copy with `name` set to `value`, if `name` is a parameter.
    pub fn with(&self, name: &str, value: &str) -> Option<Params> {
        let mut p = self.clone();
        *p.values.get_mut(name)? = value.to_string();
        Some(p)
    }

    /// `name` as a probability, from 0 to 1.
    pub fn probability(&self, name: &str) -> Result<f64, ParamError> {
        let x: f64 = self.get(name)?;
        if (0.0..=1.0).contains(&x) {
            Ok(x)
        } else {
            Err(ParamError(format!(
                "parameter `{name}` of scenario `{}` is {x}; expected a probability from 0 to 1",
                self.scenario
            )))
        }
    }

    /// `name` as one of `options`.
    pub fn choice(&self, name: &str, options: &[&'static str]) -> Result<&'static str, ParamError> {
        let raw: String = self.get(name)?;
        options.iter().copied().find(|o| *o == raw).ok_or_else(|| {
            ParamError(format!(
                "parameter `{name}` of scenario `{}` is `{raw}`; expected one of: {}",
                self.scenario,
                options.join(", ")
            ))
        })
    }

    /// Every value, in name order, as `k=v` pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}
