//! Semantic tokens: every word, literal, comment and operator of a document with
//! what it is, so an editor colours a step as a step and a segment as a segment
//! where the TextMate grammar can only guess from the words around them.
//!
//! A small scanner cuts the text into tokens (it never fails: a character it does
//! not know is skipped), and each name is looked up in the [`NameIndex`] by its
//! span, so names are classified as `check` resolves them; a name the index does
//! not know (an attribute, a channel, a customer) is a variable, a keyword where
//! it is not a name is a keyword. Works on text that does not parse: the names of
//! a broken declaration are then variables or keywords.

use super::index::{Kind, NameIndex};
use super::position::LineIndex;
use crate::syntax::Span;
use lsp_types::{SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend};
use std::collections::HashMap;

/// The token types, in legend order: a token's type is its index here.
const TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,
    SemanticTokenType::COMMENT,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::OPERATOR,
    SemanticTokenType::NAMESPACE,
    SemanticTokenType::TYPE,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::INTERFACE,
    SemanticTokenType::EVENT,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::ENUM_MEMBER,
];

/// What a token is: its index in [`TYPES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum Class {
    Keyword,
    Comment,
    String,
    /// Numbers, durations, percentages and timestamps.
    Number,
    /// `->`, `|`, `&`, postfix operators, comparisons.
    Operator,
    /// Journeys and stages.
    Namespace,
    /// Segments.
    Type,
    /// Steps, and the built-in functions of conditions (`broken(...)`).
    Function,
    /// Metrics.
    Property,
    /// Expectation sets.
    Interface,
    /// Escalations.
    Event,
    /// Attributes, channels, customers: names the index does not resolve.
    Variable,
    /// `true`, `false`, `yellow`, `red`.
    EnumMember,
}

/// The modifier bits, in legend order.
const MODIFIERS: &[SemanticTokenModifier] = &[
    SemanticTokenModifier::DECLARATION,
    SemanticTokenModifier::DEFAULT_LIBRARY,
];
const DECLARATION: u32 = 1;
const DEFAULT_LIBRARY: u32 = 2;

/// The legend the server announces in `initialize`.
pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: MODIFIERS.to_vec(),
    }
}

/// Every keyword of the grammar (`k_*` in grammar/cxl.pest, and the words of
/// `journey start` and `higher|lower is better`); a unit test keeps it in step.
const KEYWORDS: &[&str] = &[
    "use",
    "source",
    "metric",
    "segment",
    "journey",
    "expect",
    "expectations",
    "escalate",
    "test",
    "for",
    "goal",
    "abandon",
    "after",
    "stage",
    "step",
    "via",
    "owner",
    "match",
    "backstage",
    "frontstage",
    "takes",
    "path",
    "within",
    "warn",
    "else",
    "asks_once",
    "attempts",
    "when",
    "then",
    "notify",
    "severity",
    "unless",
    "or",
    "and",
    "not",
    "in",
    "rate",
    "over",
    "customer",
    "at",
    "none",
    "broken",
    "off_path",
    "reached",
    "escalation",
    "finding",
    "range",
    "is",
    "better",
    "start",
    "higher",
    "lower",
];

/// Words that are values.
const CONSTANTS: &[&str] = &["true", "false", "yellow", "red"];

/// The functions of conditions (docs/language.md, "Conditions").
const FUNCTIONS: &[&str] = &["broken", "off_path", "reached", "segment"];

/// One token before delta encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Token {
    span: Span,
    kind: Class,
    modifiers: u32,
}

/// The semantic tokens of `text`, delta encoded as the protocol sends them.
pub fn semantic_tokens(text: &str, names: &NameIndex, lines: &LineIndex) -> Vec<SemanticToken> {
    let by_start: HashMap<usize, (&Kind, bool, usize)> = names
        .occurrences
        .iter()
        .map(|o| (o.span.start, (&o.kind, o.is_definition, o.span.end)))
        .collect();
    let mut out = Vec::new();
    let (mut line, mut column) = (0u32, 0u32);
    for token in scan(text, &by_start) {
        let start = lines.position(text, token.span.start);
        let end = lines.position(text, token.span.end);
        // Tokens never span lines (strings and comments end at the line's end);
        // this keeps a malformed one from claiming a negative length.
        if end.line != start.line || end.character <= start.character {
            continue;
        }
        let delta_line = start.line - line;
        let delta_start = match delta_line {
            0 => start.character - column,
            _ => start.character,
        };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length: end.character - start.character,
            token_type: token.kind as u32,
            token_modifiers_bitset: token.modifiers,
        });
        (line, column) = (start.line, start.character);
    }
    out
}

/// The tokens of `text`, in order; `names` maps the start of every indexed name
/// to its kind, whether it is a declaration, and its end.
fn scan(text: &str, names: &HashMap<usize, (&Kind, bool, usize)>) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        let mut push = |end: usize, kind: Class, modifiers: u32| {
            tokens.push(Token {
                span: Span::new(start, end),
                kind,
                modifiers,
            });
        };
        if b == b'#' {
            let end = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
            // A `\r` before the newline is not part of what the editor shows.
            let end = if end > i && bytes[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            push(end, Class::Comment, 0);
            i = end;
        } else if b == b'"' {
            let mut end = i + 1;
            while end < bytes.len() && bytes[end] != b'"' && bytes[end] != b'\n' {
                end += if bytes[end] == b'\\' && end + 1 < bytes.len() && bytes[end + 1] != b'\n' {
                    2
                } else {
                    1
                };
            }
            if end < bytes.len() && bytes[end] == b'"' {
                end += 1;
            }
            push(end, Class::String, 0);
            i = end;
        } else if b.is_ascii_digit() {
            let end = number_end(bytes, i);
            push(end, Class::Number, 0);
            i = end;
        } else if word(b) {
            let mut end = i;
            while end < bytes.len() && word(bytes[end]) {
                end += 1;
            }
            let w = &text[i..end];
            match names.get(&i).filter(|(_, _, e)| *e == end) {
                Some((kind, is_definition, _)) => {
                    let modifiers = if *is_definition { DECLARATION } else { 0 };
                    push(end, name_type(kind), modifiers);
                }
                None if FUNCTIONS.contains(&w) && next_non_blank(bytes, end) == Some(b'(') => {
                    push(end, Class::Function, DEFAULT_LIBRARY)
                }
                None if CONSTANTS.contains(&w) => push(end, Class::EnumMember, 0),
                None if KEYWORDS.contains(&w) => push(end, Class::Keyword, 0),
                None => push(end, Class::Variable, 0),
            }
            i = end;
        } else {
            let two = bytes.get(i..i + 2).unwrap_or(&[]);
            let len = match two {
                b"->" | b"==" | b"!=" | b"<=" | b">=" => 2,
                _ if b"<>|&?*+".contains(&b) => 1,
                _ => 0,
            };
            if len > 0 {
                push(i + len, Class::Operator, 0);
                i += len;
            } else {
                // Whitespace, punctuation and characters no token starts with;
                // a whole character, so `i` stays on a boundary.
                i += text[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    tokens
}

/// Where a literal that starts with a digit at `i` ends: a number (`50_000`,
/// `1.5`), a duration (`1h30m`), a percentage (`20%`) or a timestamp
/// (`2026-03-01T10:00:00+02:00`). A range `1..5` is two numbers.
fn number_end(bytes: &[u8], i: usize) -> usize {
    let is_date = bytes.len() >= i + 10
        && bytes[i..i + 4].iter().all(u8::is_ascii_digit)
        && bytes[i + 4] == b'-'
        && bytes[i + 7] == b'-';
    let mut end = i;
    while end < bytes.len() {
        let b = bytes[end];
        let decimal_point = b == b'.' && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
        let in_date = is_date && matches!(b, b'-' | b'+' | b':' | b'.');
        if b.is_ascii_alphanumeric() || b == b'_' || decimal_point || in_date {
            end += 1;
        } else {
            break;
        }
    }
    if bytes.get(end) == Some(&b'%') {
        end += 1;
    }
    end
}

fn next_non_blank(bytes: &[u8], from: usize) -> Option<u8> {
    bytes[from..]
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

fn name_type(kind: &Kind) -> Class {
    match kind {
        Kind::Journey | Kind::Stage(_) => Class::Namespace,
        Kind::Step(_) => Class::Function,
        Kind::Segment => Class::Type,
        Kind::Metric => Class::Property,
        Kind::ExpectationSet => Class::Interface,
        Kind::Escalation => Class::Event,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The tokens of `text` decoded back to (text, type, modifiers).
    fn decoded(text: &str) -> Vec<(String, SemanticTokenType, u32)> {
        let parsed = crate::syntax::parse(text);
        let names = NameIndex::new(&parsed.file);
        let lines = LineIndex::new(text);
        let line_texts: Vec<&str> = text.split('\n').collect();
        let (mut line, mut column) = (0u32, 0u32);
        semantic_tokens(text, &names, &lines)
            .into_iter()
            .map(|t| {
                if t.delta_line > 0 {
                    column = 0;
                }
                line += t.delta_line;
                column += t.delta_start;
                let utf16: Vec<u16> = line_texts[line as usize].encode_utf16().collect();
                let slice = &utf16[column as usize..(column + t.length) as usize];
                (
                    String::from_utf16_lossy(slice),
                    TYPES[t.token_type as usize].clone(),
                    t.token_modifiers_bitset,
                )
            })
            .collect()
    }

    #[test]
    fn names_are_classified_as_check_resolves_them() {
        let text = "segment gold \"Gold – ü\" { when tier == \"gold\" and n >= 2.5 }\n\
                    journey claim {\n  for gold  # the best\n  step a { via web }\n  step b\n  \
                    path a -> b? | b 20%\n  abandon after 1h30m\n}\n\
                    escalate late { when broken(claim.b) notify \"Team\" severity red within 4h }\n\
                    metric m { range 0..100 }\nexpect claim.b { m >= 20 }\n";
        let parsed = crate::syntax::parse(text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let tokens = decoded(text);
        let find = |s: &str, nth: usize| {
            tokens
                .iter()
                .filter(|(t, _, _)| t == s)
                .nth(nth)
                .map(|(_, ty, m)| (ty.clone(), *m))
                .unwrap_or_else(|| panic!("no token {s:?} #{nth} in {tokens:?}"))
        };
        assert_eq!(find("segment", 0), (SemanticTokenType::KEYWORD, 0));
        assert_eq!(find("gold", 0), (SemanticTokenType::TYPE, DECLARATION));
        assert_eq!(find("\"Gold – ü\"", 0), (SemanticTokenType::STRING, 0));
        assert_eq!(find("tier", 0), (SemanticTokenType::VARIABLE, 0));
        assert_eq!(find("==", 0), (SemanticTokenType::OPERATOR, 0));
        assert_eq!(find("2.5", 0), (SemanticTokenType::NUMBER, 0));
        assert_eq!(
            find("claim", 0),
            (SemanticTokenType::NAMESPACE, DECLARATION)
        );
        assert_eq!(find("gold", 1), (SemanticTokenType::TYPE, 0));
        assert_eq!(find("# the best", 0), (SemanticTokenType::COMMENT, 0));
        assert_eq!(find("a", 1), (SemanticTokenType::FUNCTION, 0));
        assert_eq!(find("?", 0), (SemanticTokenType::OPERATOR, 0));
        assert_eq!(find("1h30m", 0), (SemanticTokenType::NUMBER, 0));
        assert_eq!(find("late", 0), (SemanticTokenType::EVENT, DECLARATION));
        assert_eq!(
            find("broken", 0),
            (SemanticTokenType::FUNCTION, DEFAULT_LIBRARY)
        );
        assert_eq!(find("claim", 1), (SemanticTokenType::NAMESPACE, 0));
        assert_eq!(find("b", 2), (SemanticTokenType::FUNCTION, 0));
        assert_eq!(find("red", 0), (SemanticTokenType::ENUM_MEMBER, 0));
        assert_eq!(find("20%", 0), (SemanticTokenType::NUMBER, 0));
        assert_eq!(find("web", 0), (SemanticTokenType::VARIABLE, 0));
        assert_eq!(find("m", 1), (SemanticTokenType::PROPERTY, 0));
    }

    #[test]
    fn literals_are_whole_tokens() {
        let tokens =
            decoded("test \"t\" { c1 a at 2026-03-01T10:00:00+02:00 }\nmetric m { range 1..5 }\n");
        let texts: Vec<&str> = tokens.iter().map(|(t, _, _)| t.as_str()).collect();
        assert!(texts.contains(&"2026-03-01T10:00:00+02:00"), "{texts:?}");
        assert!(texts.contains(&"1") && texts.contains(&"5"), "{texts:?}");
        assert_eq!(
            tokens
                .iter()
                .find(|(t, _, _)| t == "m")
                .map(|(_, ty, _)| ty.clone()),
            Some(SemanticTokenType::PROPERTY)
        );
    }

    #[test]
    fn the_keyword_list_is_the_grammars() {
        let pest = include_str!("../../grammar/cxl.pest");
        let keyword = regex::Regex::new(r#"(?m)^k_\w+\s*=\s*@\{\s*"([a-z_]+)""#).expect("a regex");
        let mut count = 0;
        for c in keyword.captures_iter(pest) {
            let word = c.get(1).map_or("", |m| m.as_str());
            assert!(KEYWORDS.contains(&word), "`{word}` is not in KEYWORDS");
            count += 1;
        }
        assert!(count > 40);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever the text: no panic, and every token lies on one line, inside it.
        #[test]
        fn tokens_stay_inside_their_line(text in "[a-z0-9 {}\"#\\n\\r.>|&*?()%:+é😀_-]{0,200}") {
            let parsed = crate::syntax::parse(&text);
            let names = NameIndex::new(&parsed.file);
            let lines = LineIndex::new(&text);
            let line_lengths: Vec<u32> = text
                .split('\n')
                .map(|l| l.encode_utf16().count() as u32)
                .collect();
            let (mut line, mut column) = (0u32, 0u32);
            for t in semantic_tokens(&text, &names, &lines) {
                if t.delta_line > 0 {
                    column = 0;
                }
                line += t.delta_line;
                column += t.delta_start;
                prop_assert!(t.length > 0);
                prop_assert!(column + t.length <= line_lengths[line as usize]);
            }
        }
    }
}
