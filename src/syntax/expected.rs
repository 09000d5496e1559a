//! What the parser expected, said in the user's words rather than pest's rule names.

use super::parser::Rule;
use pest::error::{Error, ErrorVariant};

/// Phrases for groups of alternatives, checked before single rules: when all of a
/// group's marker rules were expected, the group's phrase replaces them.
const GROUPS: &[(&[Rule], &str)] = &[
    (
        &[Rule::k_use, Rule::k_segment, Rule::k_journey],
        "a declaration (`use`, `source`, `metric`, `segment`, `journey`, `expect`, `expectations`, `escalate` or `test`)",
    ),
    (
        &[Rule::k_goal, Rule::k_stage, Rule::k_path],
        "a journey clause (`for`, `goal`, `abandon after`, `stage`, `step` or `path`)",
    ),
    (
        &[Rule::k_owner, Rule::k_match, Rule::k_backstage],
        "a step property (`via`, `owner`, `match`, `backstage`, `frontstage` or `takes`)",
    ),
    (
        &[Rule::k_within, Rule::k_asks_once, Rule::k_attempts],
        "an expectation (`within`, `warn after`, `via`, `asks_once`, `attempts`, `use` or a metric comparison such as `csat >= 4`)",
    ),
    (
        &[Rule::k_broken, Rule::k_off_path, Rule::k_escalation],
        "what to expect (`broken`, `off_path`, `reached`, `escalation` or `finding`)",
    ),
    (
        &[Rule::k_customer, Rule::k_expect],
        "a test line (`customer`, an event such as `c1 report_claim at +1h`, or `expect`)",
    ),
    (
        &[Rule::optional_op, Rule::star_op, Rule::repeat_op],
        "a path operator (`->`, `|`, `&`, `?`, `*`, `+` or `{m,n}`)",
    ),
    (
        &[Rule::tier_severity, Rule::tier_within, Rule::tier_unless],
        "a tier option (`severity`, `within`, `after` or `unless`)",
    ),
];

/// The phrase for one rule, or `None` for rules too internal to mention.
fn rule_phrase(rule: Rule, after_arrow: bool) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        ident => "a name",
        step_name | path_alt | path_branch | path_par | path_seq | path_postfix if after_arrow => {
            "a step name"
        }
        step_name | path_alt | path_branch | path_par | path_seq | path_postfix => {
            "a step name or `(`"
        }
        path_group => "`(`",
        string | string_inner | event_raw => "a quoted text",
        label => "a label in quotes",
        duration | relative_time => "a duration such as `4h` or `30m`",
        percent => "a percentage such as `10%`",
        number | repeat_min | repeat_max => "a number",
        timestamp => "a timestamp such as `2026-03-01T10:00Z`",
        boolean => "`true` or `false`",
        severity | else_severity => "`yellow` or `red`",
        star => "`*`",
        cmp_op => "a comparison such as `>=`",
        module_path => "a module path such as `std/cx`",
        target => "a journey and step such as `claim.acknowledge`",
        anchor => "`after`",
        journey_start => "`journey start`",
        expr | or_expr | and_expr | not_expr | compare | value | call | attr_path | list
        | paren | rate_expr => "an expression",
        attr_block | repeat_op => "`{`",
        repeat_comma => "`,`",
        outcome => "`none` or a recipient in quotes",
        better_dir => "`higher` or `lower`",
        event_step => "a step name",
        EOI => "the end of the declaration",
        k_use => "`use`",
        k_source => "`source`",
        source_setting => "a source setting such as `step \"activity\"`",
        k_metric => "`metric`",
        k_segment => "`segment`",
        k_journey => "`journey`",
        k_expect => "`expect`",
        k_expectations => "`expectations`",
        k_escalate => "`escalate`",
        k_test => "`test`",
        k_for => "`for`",
        k_goal => "`goal`",
        k_abandon => "`abandon`",
        k_after => "`after`",
        k_stage => "`stage`",
        k_step => "`step`",
        k_via => "`via`",
        k_owner => "`owner`",
        k_match => "`match`",
        k_backstage => "`backstage`",
        k_frontstage => "`frontstage`",
        k_takes => "`takes`",
        k_path => "`path`",
        k_within => "`within`",
        k_warn => "`warn`",
        k_else => "`else`",
        k_asks_once => "`asks_once`",
        k_attempts => "`attempts`",
        k_when => "`when`",
        k_then => "`then`",
        k_notify => "`notify`",
        k_severity => "`severity`",
        k_unless => "`unless`",
        k_or => "`or`",
        k_and => "`and`",
        k_not => "`not`",
        k_in => "`in`",
        k_rate => "`rate`",
        k_over => "`over`",
        k_customer => "`customer`",
        k_at => "`at`",
        k_none => "`none`",
        k_broken => "`broken`",
        k_off_path => "`off_path`",
        k_reached => "`reached`",
        k_escalation => "`escalation`",
        k_finding => "`finding`",
        k_range => "`range`",
        k_is => "`is`",
        k_better => "`better`",
        _ => return None,
    })
}

/// Punctuation worth naming when pest says it expected it.
const PUNCTUATION: &[&str] = &[
    "{", "}", "(", ")", "[", "]", "->", "..", ",", ".", ":", "|", "&", "/",
];

/// Describe what was expected, e.g. "a step name" or "`{` or a label in quotes".
pub(crate) fn describe(error: &Error<Rule>, previous: Option<&str>) -> String {
    let after_arrow = matches!(previous, Some("->" | "|" | "&"));
    let mut rules: Vec<Rule> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let mut phrases: Vec<String> = Vec::new();
    for (markers, phrase) in GROUPS {
        if markers.iter().all(|m| rules.contains(m)) {
            phrases.push((*phrase).to_string());
            rules.retain(|r| {
                rule_phrase(*r, after_arrow).is_some_and(|p| !p.starts_with('`'))
                    && !markers.contains(r)
            });
        }
    }
    for rule in &rules {
        if let Some(phrase) = rule_phrase(*rule, after_arrow) {
            push_unique(&mut phrases, phrase.to_string());
        }
    }
    if let Some(attempts) = error.parse_attempts() {
        for token in attempts.expected_tokens() {
            let token = token.to_string();
            if PUNCTUATION.contains(&token.as_str()) {
                push_unique(&mut phrases, format!("`{token}`"));
            }
        }
    }
    // An optional label is rarely what the user was after; mention it only alone.
    if phrases.len() > 1 {
        phrases.retain(|p| p != "a label in quotes");
    }
    if phrases.iter().any(|p| p == "an expression") {
        phrases.retain(|p| !matches!(p.as_str(), "`(`" | "`[`"));
    }
    if phrases.iter().any(|p| p.starts_with("a path operator")) {
        phrases.retain(|p| {
            !matches!(
                p.as_str(),
                "`{`" | "a percentage such as `10%`" | "`|`" | "`&`" | "`->`"
            )
        });
    }
    join_or(&phrases)
}

fn push_unique(phrases: &mut Vec<String>, phrase: String) {
    if !phrases.contains(&phrase) {
        phrases.push(phrase);
    }
}

/// "a", "a or b", "a, b or c".
fn join_or(phrases: &[String]) -> String {
    match phrases {
        [] => "something else".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// Help for common slips, when one is recognisable.
pub(crate) fn help(
    error: &Error<Rule>,
    previous: Option<&str>,
    found: Option<&str>,
) -> Option<String> {
    let positives: &[Rule] = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };
    let reserved = [
        "and", "or", "not", "in", "true", "false", "else", "after", "when", "notify", "then",
        "unless",
    ];
    match (previous, found) {
        (_, Some(word)) if reserved.contains(&word) && positives.contains(&Rule::ident) => {
            Some(format!("`{word}` is a keyword and cannot be used as a name; pick another name"))
        }
        (_, Some("=")) => Some("compare with `==`; a single `=` is not an operator in cxl".to_string()),
        (_, Some("&" | "|" | "!")) if positives.contains(&Rule::k_and) || positives.contains(&Rule::k_or) => {
            Some("conditions are joined with the words `and`, `or` and `not`".to_string())
        }
        (Some("->" | "|" | "&"), _) => Some(
            "a path joins step names with `->` (then), `|` (or) and `&` (in any order), e.g. `path a -> (b | c) -> d`"
                .to_string(),
        ),
        (_, None) if positives.contains(&Rule::EOI) || positives.is_empty() => {
            Some("the declaration stops here: is a `}` missing, or a line unfinished?".to_string())
        }
        (_, Some(_)) if positives.contains(&Rule::duration) => {
            Some("durations are a number and a unit: `30s`, `15m`, `4h`, `2d`, `1w`, or combined as `1h30m`".to_string())
        }
        _ => None,
    }
}

/// The token that starts at byte `pos`, for "found `...`"; `None` at the end.
pub(crate) fn found_token(text: &str, pos: usize) -> Option<String> {
    let rest = text.get(pos..)?.trim_end();
    let mut chars = rest.char_indices();
    let (_, first) = chars.next()?;
    let len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
    } else if first == '"' {
        rest[1..].find('"').map_or(rest.len(), |i| i + 2)
    } else if ["->", "==", "!=", "<=", ">=", ".."]
        .iter()
        .any(|op| rest.starts_with(op))
    {
        2
    } else {
        first.len_utf8()
    };
    Some(rest[..len.min(rest.len())].to_string())
}

/// A token cut to a readable length for a message.
pub(crate) fn shorten(token: &str) -> String {
    if token.chars().count() > 24 {
        format!("{}…", token.chars().take(23).collect::<String>())
    } else {
        token.to_string()
    }
}

/// The token that ends just before byte `pos`, skipping blanks and comments.
pub(crate) fn previous_token(text: &str, pos: usize) -> Option<String> {
    let before = text.get(..pos)?;
    let code: String = before
        .lines()
        .map(strip_comment)
        .collect::<Vec<_>>()
        .join("\n");
    let trimmed = code.trim_end();
    let last = trimmed.chars().last()?;
    let token = if last.is_ascii_alphanumeric() || last == '_' {
        let start = trimmed
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        &trimmed[start..]
    } else if last == '"' {
        let start = trimmed[..trimmed.len() - 1].rfind('"').unwrap_or(0);
        &trimmed[start..]
    } else if ["->", "==", "!=", "<=", ">=", ".."]
        .iter()
        .any(|op| trimmed.ends_with(op))
    {
        &trimmed[trimmed.len() - 2..]
    } else {
        &trimmed[trimmed.len() - last.len_utf8()..]
    };
    Some(shorten(token))
}

/// A line without its `#` comment (a `#` inside quotes does not start one).
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if in_string => escaped = !escaped,
            '"' if !escaped => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    line
}
