//! The types of condition expressions and customer attributes: [`Type`], and
//! [`Attributes`], the table of every attribute use that finds one attribute used as
//! two types across the file (E0304).

use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::Span;
use std::collections::BTreeMap;

/// The type of an expression or a customer attribute.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    /// `4`, `50_000`, `2.5`
    Number,
    /// `"gold"`
    Text,
    /// `true`, or a condition.
    Bool,
    /// `4h`
    Duration,
    /// `10%`
    Percent,
    /// `2026-03-01T10:00Z`
    Time,
    /// `["gold", "platinum"]`
    List(Box<Type>),
    /// Not known: an attribute nothing has pinned down yet, or an expression that
    /// already has an error. Compatible with every type.
    Unknown,
}

impl Type {
    /// How a person would say it: "a number", "text", "true/false".
    pub fn describe(&self) -> String {
        match self {
            Type::Number => "a number".into(),
            Type::Text => "text".into(),
            Type::Bool => "true/false".into(),
            Type::Duration => "a duration".into(),
            Type::Percent => "a percentage".into(),
            Type::Time => "a time".into(),
            Type::List(inner) if **inner == Type::Unknown => "a list".into(),
            Type::List(inner) => format!("a list of {}", inner.plural()),
            Type::Unknown => "a value of unknown type".into(),
        }
    }

    /// Many values of this type: "numbers", "text".
    fn plural(&self) -> String {
        match self {
            Type::Number => "numbers".into(),
            Type::Text => "text".into(),
            Type::Bool => "true/false values".into(),
            Type::Duration => "durations".into(),
            Type::Percent => "percentages".into(),
            Type::Time => "times".into(),
            Type::List(_) => "lists".into(),
            Type::Unknown => "values".into(),
        }
    }

    /// True when `a` and `b` can stand on the two sides of `==`.
    pub(super) fn compatible(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Unknown, _) | (_, Type::Unknown) => true,
            (Type::List(a), Type::List(b)) => a.compatible(b),
            (a, b) => a == b,
        }
    }

    pub(super) fn is_known(&self) -> bool {
        *self != Type::Unknown
    }
}

/// Every use of every customer attribute with the type it was used as; conflicts are
/// found once all uses are in, so the first use in source order sets the type.
#[derive(Debug, Default)]
pub(crate) struct Attributes {
    uses: BTreeMap<String, Vec<(Span, Type, &'static str)>>,
}

impl Attributes {
    /// Record that attribute `name` was used as `ty` at `span` (`how`: "compared with",
    /// "given as").
    pub(super) fn record(&mut self, name: String, ty: Type, span: Span, how: &'static str) {
        if ty.is_known() {
            self.uses.entry(name).or_default().push((span, ty, how));
        }
    }

    /// E0304 for each use whose type differs from the first use's.
    pub(super) fn conflicts(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (name, uses) in &self.uses {
            let mut uses = uses.clone();
            uses.sort_by_key(|(span, _, _)| (span.start, span.end));
            let Some((first_span, first_ty, first_how)) = uses.first().cloned() else {
                continue;
            };
            for (span, ty, how) in uses.iter().skip(1) {
                if ty.compatible(&first_ty) {
                    continue;
                }
                let (a, b) = (first_ty.describe(), ty.describe());
                out.push(
                    Diagnostic::new(
                        Code::ConflictingAttributeType,
                        format!("attribute `{name}` is used as {a} and as {b}"),
                    )
                    .with_label(*span, format!("{how} {b} here"))
                    .with_secondary(first_span, format!("{first_how} {a} here"))
                    .with_help(format!(
                        "each customer attribute has one type; use `{name}` as {a} everywhere, \
                         or use two attributes"
                    )),
                );
            }
        }
        out
    }

    /// The type of each attribute: that of its first use.
    pub(super) fn types(&self) -> BTreeMap<String, Type> {
        self.uses
            .iter()
            .filter_map(|(name, uses)| {
                let first = uses
                    .iter()
                    .min_by_key(|(span, _, _)| (span.start, span.end))?;
                Some((name.clone(), first.1.clone()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_describe_themselves_in_plain_words() {
        assert_eq!(Type::Bool.describe(), "true/false");
        assert_eq!(
            Type::List(Box::new(Type::Text)).describe(),
            "a list of text"
        );
        assert_eq!(
            Type::List(Box::new(Type::Number)).describe(),
            "a list of numbers"
        );
    }

    #[test]
    fn unknown_is_compatible_with_everything_else_is_not() {
        assert!(Type::Unknown.compatible(&Type::Text));
        assert!(Type::Number.compatible(&Type::Unknown));
        assert!(!Type::Number.compatible(&Type::Text));
        assert!(!Type::List(Box::new(Type::Number)).compatible(&Type::List(Box::new(Type::Text))));
    }

    #[test]
    fn the_first_use_in_source_order_sets_the_type() {
        let mut attrs = Attributes::default();
        attrs.record(
            "tier".into(),
            Type::Number,
            Span::new(50, 60),
            "compared with",
        );
        attrs.record(
            "tier".into(),
            Type::Text,
            Span::new(10, 20),
            "compared with",
        );
        attrs.record(
            "tier".into(),
            Type::Unknown,
            Span::new(0, 5),
            "compared with",
        );
        let diags = attrs.conflicts();
        assert_eq!(diags.len(), 1);
        assert_eq!(
            diags[0].message,
            "attribute `tier` is used as text and as a number"
        );
        assert_eq!(diags[0].primary_span(), Some(Span::new(50, 60)));
        assert_eq!(attrs.types().get("tier"), Some(&Type::Text));
    }
}
