//! `cxl man`: the manual page, in roff, generated from the command-line
//! definition (clap_mangen for the page's head, then a subsection per verb
//! with its synopsis, description and options), so it never lags behind.

use super::common::Stop;
use super::output;

/// Print the page on stdout.
pub fn run(command: clap::Command) -> u8 {
    page(command).map_or_else(|stop| stop.exit_code(), |()| 0)
}

fn page(command: clap::Command) -> Result<(), Stop> {
    let mut command = command.version(env!("CARGO_PKG_VERSION"));
    command.build();
    let mut roff = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    let failed = |e: std::io::Error| format!("cannot render the manual: {e}");
    man.render_title(&mut roff).map_err(failed)?;
    man.render_name_section(&mut roff).map_err(failed)?;
    man.render_synopsis_section(&mut roff).map_err(failed)?;
    man.render_description_section(&mut roff).map_err(failed)?;
    let mut page = String::from_utf8_lossy(&roff).into_owned();
    page.push_str(".SH COMMANDS\n");
    for sub in command
        .get_subcommands_mut()
        .filter(|s| s.get_name() != "help")
    {
        verb(&mut page, sub);
    }
    page.push_str(".SH \"EXIT STATUS\"\n");
    page.push_str(&text(
        "0: nothing at or above the threshold; 1: errors or findings (or, for fmt --check, files to format); \
         2: usage, input or output error; 3 (eval): the run judged too little to be a verdict.",
    ));
    page.push('\n');
    output::print(&page)?;
    Ok(())
}

/// One verb's subsection: `cxl VERB [OPTIONS] ARGS`, what it does, its arguments.
fn verb(page: &mut String, sub: &mut clap::Command) {
    let name = sub.get_name().to_string();
    page.push_str(&format!(".SS \"cxl {}\"\n", text(&name)));
    let usage = sub.render_usage().to_string();
    let usage = usage.trim_start_matches("Usage: ").trim();
    page.push_str(&format!("\\fB{}\\fR\n", text(usage)));
    if let Some(about) = sub.get_long_about().or(sub.get_about()) {
        page.push_str(".PP\n");
        page.push_str(&text(&about.to_string()));
        page.push('\n');
    }
    for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
        let mut head = String::new();
        if let Some(long) = arg.get_long() {
            head.push_str(&format!("\\-\\-{}", text(long)));
        }
        if let Some(short) = arg.get_short() {
            head = format!("\\-{short}, {head}");
        }
        let values = arg
            .get_value_names()
            .map(|names| {
                names
                    .iter()
                    .map(|n| format!("<{n}>"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
        if head.is_empty() {
            head = text(&values);
        } else if takes_value && !values.is_empty() {
            head = format!("{head} {}", text(&values));
        }
        page.push_str(&format!(".TP\n\\fB{head}\\fR\n"));
        if let Some(help) = arg.get_long_help().or(arg.get_help()) {
            page.push_str(&text(&help.to_string()));
            page.push('\n');
        }
        let possible: Vec<_> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect();
        if !possible.is_empty() && !matches!(arg.get_action(), clap::ArgAction::SetTrue) {
            page.push_str(".br\n");
            page.push_str(&text(&format!("One of: {}.", possible.join(", "))));
            page.push('\n');
        }
    }
}

/// Text made safe for roff: backslashes and hyphens escaped, and no line
/// starting with a control character.
fn text(s: &str) -> String {
    s.replace('\\', "\\e")
        .replace('-', "\\-")
        .lines()
        .map(|line| match line.starts_with(['.', '\'']) {
            true => format!("\\&{line}"),
            false => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
