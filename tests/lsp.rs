//! `cxl lsp` driven as an editor drives it: the real binary, Content-Length framed
//! JSON-RPC on its stdin and stdout, from `initialize` to `exit`, asserting on what
//! it really answers.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

const URI: &str = "file:///work/claim.cxl";

/// A policy whose line 1 has non-ASCII text before a name, so UTF-16 columns
/// differ from byte columns.
const POLICY: &str = r#"segment gold "Gold – für 😀" { when tier == "gold" }
journey claim "Schäden 😀" { for gold
  goal settled
  step report "Report" {
    via web, phone
    owner "Intake"
  }
  step settled { via email }
  path report -> settled
}
expect claim.settled { within 1h after report }
"#;

/// A running server and the messages it wrote, one JSON value each.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("cxl"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cxl lsp starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = channel();
        // A thread reads, so a server that says nothing fails the test by timeout
        // instead of hanging it.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let value: Value = serde_json::from_slice(&body).expect("the body is JSON");
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        Server {
            child,
            stdin,
            messages: rx,
            next_id: 0,
        }
    }

    fn write(&mut self, message: &Value) {
        let body = message.to_string();
        let stdin = self.stdin.as_mut().expect("stdin is open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("the server reads");
        stdin.flush().expect("the server reads");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.write(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next(&self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(20))
            .expect("the server answers within 20s")
    }

    /// Send a request and return its result, skipping notifications in between.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.write(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next();
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{method} failed: {message}");
                return message["result"].clone();
            }
        }
    }

    /// The next `publishDiagnostics` notification's diagnostics.
    fn diagnostics(&self) -> Vec<Value> {
        loop {
            let message = self.next();
            if message["method"] == "textDocument/publishDiagnostics" {
                assert_eq!(message["params"]["uri"], URI);
                return message["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
        }
    }

    fn initialize(&mut self) -> Value {
        let result = self.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {}}),
        );
        self.notify("initialized", json!({}));
        result
    }

    fn open(&mut self, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": URI, "languageId": "cxl", "version": 1, "text": text}}),
        );
        self.diagnostics()
    }

    fn change(&mut self, version: i32, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": URI, "version": version},
                "contentChanges": [{"text": text}],
            }),
        );
        self.diagnostics()
    }

    /// Wait for the process to end; its exit code.
    fn wait(mut self) -> i32 {
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().expect("the child can be polled") {
                return status.code().expect("an exit code");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("cxl lsp did not exit within 10s");
    }
}

/// Where `needle` (its `nth` occurrence, 0-based) is, plus `delta` characters, as an
/// LSP position: UTF-16 columns.
fn position(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .expect("the needle is in the text");
    let line = text[..offset].matches('\n').count();
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let column: usize = text[line_start..offset]
        .chars()
        .map(char::len_utf16)
        .sum::<usize>()
        + delta;
    json!({"line": line, "character": column})
}

fn at(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
    json!({"textDocument": {"uri": URI}, "position": position(text, needle, nth, delta)})
}

#[test]
fn a_whole_editing_session() {
    let mut server = Server::start();
    let init = server.initialize();
    let capabilities = &init["capabilities"];
    assert_eq!(capabilities["textDocumentSync"], 1, "full sync");
    assert_eq!(capabilities["hoverProvider"], true);
    assert_eq!(capabilities["definitionProvider"], true);

    // A clean policy: no diagnostics.
    assert_eq!(server.open(POLICY), Vec::<Value>::new());

    // A typo in the segment name, after non-ASCII text on its line: an error with
    // its code, its help, and a range in UTF-16 columns.
    let typo = POLICY.replacen("for gold", "for glod", 1);
    let diagnostics = server.change(2, &typo);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "E0201");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "cxl");
    let message = d["message"].as_str().unwrap_or_default();
    assert!(message.contains("`glod`"), "{message}");
    assert!(message.contains("help: did you mean `gold`?"), "{message}");
    let start = position(&typo, "glod", 0, 0);
    assert_eq!(d["range"]["start"], start);
    // `journey claim "Schäden 😀" { for `: 2 columns fewer than its UTF-8 bytes.
    assert_eq!(start["character"], 33);
    assert_eq!(d["range"]["end"]["character"], 37);

    // The fix clears it.
    assert_eq!(server.change(3, POLICY), Vec::<Value>::new());

    // Hover on a step used in the path: label, owner, channels, expectations.
    let hover = server.request("textDocument/hover", at(POLICY, "report", 2, 1));
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(text.contains("**step** `claim.report` — Report"), "{text}");
    assert!(text.contains("owner: Intake"), "{text}");
    assert!(text.contains("via web, phone"), "{text}");
    let hover = server.request("textDocument/hover", at(POLICY, "settled", 1, 0));
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(text.contains("within 1h after report"), "{text}");
    // Hover on a segment in `for`: its condition.
    let hover = server.request("textDocument/hover", at(POLICY, "gold", 2, 0));
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(text.contains("when tier == \"gold\""), "{text}");

    // Definition of `settled` in the path: its step declaration.
    let definition = server.request("textDocument/definition", at(POLICY, "settled", 2, 3));
    assert_eq!(definition["uri"], URI);
    assert_eq!(
        definition["range"]["start"],
        position(POLICY, "settled", 1, 0)
    );
    // Definition of `gold` after `for`, on the non-ASCII line.
    let definition = server.request("textDocument/definition", at(POLICY, "gold", 2, 1));
    assert_eq!(definition["range"]["start"], position(POLICY, "gold", 0, 0));

    // References of `settled`: goal, declaration, path, expect target.
    let mut params = at(POLICY, "settled", 1, 0);
    params["context"] = json!({"includeDeclaration": true});
    let references = server.request("textDocument/references", params);
    let lines: Vec<_> = references
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["range"]["start"]["line"].as_u64().unwrap_or(99))
        .collect();
    assert_eq!(lines, [2, 7, 8, 10]);

    // Completion: step names in a path; segments after `for`; keywords at a declaration start.
    let typing = POLICY.replacen("path report -> settled", "path report -> ", 1);
    server.change(4, &typing);
    let completion = server.request(
        "textDocument/completion",
        at(&typing, "path report -> ", 0, 15),
    );
    let labels: Vec<_> = completion
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["label"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(labels, ["report", "settled"]);
    let completion = server.request("textDocument/completion", at(&typing, "for gold", 0, 4));
    assert_eq!(completion[0]["label"], "gold");
    let completion = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": {"line": 11, "character": 0}}),
    );
    let labels: Vec<_> = completion
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["label"].as_str().unwrap_or_default())
        .collect();
    assert!(
        labels.contains(&"journey") && labels.contains(&"segment"),
        "{labels:?}"
    );
    server.change(5, POLICY);

    // The outline: segment, then the journey with its steps.
    let symbols = server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    let names: Vec<_> = symbols
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["gold", "claim", "expect claim.settled"]);
    let steps: Vec<_> = symbols[1]["children"]
        .as_array()
        .expect("children")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(steps, ["report", "settled"]);

    // A method it does not know is an error, not a crash.
    server.next_id += 1;
    let id = server.next_id;
    server.write(&json!({"jsonrpc": "2.0", "id": id, "method": "workspace/nothing", "params": {}}));
    let answer = server.next();
    assert_eq!(answer["error"]["code"], -32601);

    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    server.notify("exit", Value::Null);
    assert_eq!(server.wait(), 0);
}

#[test]
fn exits_cleanly_when_stdin_ends() {
    let mut server = Server::start();
    server.initialize();
    server.open("journey j {");
    // The client dies without `shutdown` or `exit`.
    drop(server.stdin.take());
    assert_eq!(server.wait(), 0);
}

#[test]
fn garbage_text_gets_diagnostics_not_a_crash() {
    let mut server = Server::start();
    server.initialize();
    for (version, text) in ["journey { path -> -> } ü😀 \"", "}}}{{{", "\u{0}\u{feff}"]
        .iter()
        .enumerate()
    {
        let diagnostics = server.change(version as i32 + 1, text);
        assert!(!diagnostics.is_empty(), "{text:?} has diagnostics");
        let outline = server.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": URI}}),
        );
        assert!(outline.is_array() || outline.is_null());
    }
    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    server.notify("exit", Value::Null);
    assert_eq!(server.wait(), 0);
}

/// The editor shows what `cxl check` shows: a `# cxl: allow(...)` comment
/// silences its warning as it is typed, and one that silences nothing is W0410.
#[test]
fn diagnostics_honour_suppressions() {
    let mut server = Server::start();
    server.initialize();
    let text = "journey j {\n  goal b\n  step a\n  step b\n  step c\n  path a -> b\n}\n";
    let diagnostics = server.open(text);
    let codes: Vec<&Value> = diagnostics.iter().map(|d| &d["code"]).collect();
    assert_eq!(codes, [&json!("W0401")], "{diagnostics:?}");
    let silenced = text.replace("  step c\n", "  step c  # cxl: allow(W0401)\n");
    assert_eq!(server.change(2, &silenced), Vec::<Value>::new());
    let moved = text.replace("  step b\n", "  step b  # cxl: allow(W0401)\n");
    let diagnostics = server.change(3, &moved);
    let codes: Vec<&Value> = diagnostics.iter().map(|d| &d["code"]).collect();
    assert_eq!(codes, [&json!("W0410"), &json!("W0401")], "{diagnostics:?}");
    assert_eq!(
        diagnostics[0]["range"]["start"],
        position(&moved, "W0401", 0, 0)
    );
}

/// The VS Code grammar highlights every keyword the parser knows: a keyword added to
/// `grammar/cxl.pest` without the grammar fails here.
#[test]
fn the_vscode_grammar_knows_every_keyword() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let pest = std::fs::read_to_string(root.join("grammar/cxl.pest")).expect("the grammar");
    let keyword = regex::Regex::new(r#"(?m)^k_\w+\s*=\s*@\{\s*"([a-z_]+)""#).expect("a regex");
    let keywords: Vec<&str> = keyword
        .captures_iter(&pest)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .collect();
    assert!(keywords.len() > 40, "{keywords:?}");
    let grammar = std::fs::read_to_string(root.join("editors/vscode/syntaxes/cxl.tmLanguage.json"))
        .expect("the TextMate grammar");
    let grammar: Value = serde_json::from_str(&grammar).expect("the TextMate grammar is JSON");
    // Every word alternative of every `match`.
    let mut words = std::collections::BTreeSet::new();
    let mut stack = vec![&grammar];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(pattern)) = map.get("match") {
                    for group in pattern.split('(').skip(1) {
                        let inner = group.split(')').next().unwrap_or_default();
                        words.extend(inner.split('|').map(str::to_string));
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    let missing: Vec<_> = keywords.iter().filter(|k| !words.contains(**k)).collect();
    assert!(missing.is_empty(), "not highlighted: {missing:?}");
    // The manifest points at the files that exist, and the client starts `cxl lsp`.
    let manifest =
        std::fs::read_to_string(root.join("editors/vscode/package.json")).expect("package.json");
    let manifest: Value = serde_json::from_str(&manifest).expect("package.json is JSON");
    for path in [
        &manifest["main"],
        &manifest["contributes"]["grammars"][0]["path"],
        &manifest["contributes"]["languages"][0]["configuration"],
    ] {
        let path = path.as_str().expect("a path");
        assert!(root.join("editors/vscode").join(path).is_file(), "{path}");
    }
    let client =
        std::fs::read_to_string(root.join("editors/vscode/extension.js")).expect("extension.js");
    assert!(client.contains(r#"args: ["lsp"]"#));
}

/// An editor that starts the server and goes away at once is not an error; bytes
/// that are not the protocol are, with exit 2 and the reason.
#[test]
fn stdin_that_ends_or_is_not_the_protocol() {
    let run = |input: &str| {
        let output = assert_cmd::Command::cargo_bin("cxl")
            .expect("the cxl binary is built")
            .arg("lsp")
            .write_stdin(input)
            .timeout(Duration::from_secs(20))
            .output()
            .expect("cxl lsp runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    assert_eq!(run(""), (Some(0), String::new()));
    let (code, stderr) = run("garbage\r\n\r\n");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("malformed header"), "{stderr}");
    let (code, stderr) = run("Content-Length: 5\r\n\r\nhello");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("malformed LSP payload"), "{stderr}");
}

/// Formatting goes through the formatter `cxl fmt` uses: a messy document gets
/// the canonical layout, a formatted one no edits, and one with a syntax error no
/// edits at all (never half formatted).
#[test]
fn formatting_is_cxl_fmt() {
    let messy = "# claims\nsegment   gold{when tier==\"gold\"}\njourney claim { for gold\n goal settled\n  step report{via web;owner \"Desk\"}   # first\n step settled\n path report->settled }\n";
    let expected = cxl::format::format(messy).expect("the messy policy formats");
    assert_ne!(expected, messy);
    let mut server = Server::start();
    let init = server.initialize();
    assert_eq!(init["capabilities"]["documentFormattingProvider"], true);
    server.open(messy);
    let params = json!({
        "textDocument": {"uri": URI},
        "options": {"tabSize": 2, "insertSpaces": true},
    });
    let edits = server.request("textDocument/formatting", params.clone());
    let edits = edits.as_array().expect("a list of edits");
    assert_eq!(edits.len(), 1, "{edits:?}");
    // The one edit replaces the whole document.
    let lines = messy.lines().count();
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );
    assert_eq!(
        edits[0]["range"]["end"],
        json!({"line": lines, "character": 0})
    );
    assert_eq!(edits[0]["newText"], expected);

    // Formatted: nothing to do.
    server.change(2, &expected);
    assert_eq!(
        server.request("textDocument/formatting", params.clone()),
        json!([])
    );

    // A syntax error: no edits, the document is left as it is.
    let broken = expected.replacen("path report -> settled", "path report -> -> settled", 1);
    assert_ne!(broken, expected);
    assert!(!server.change(3, &broken).is_empty());
    assert_eq!(
        server.request("textDocument/formatting", params),
        Value::Null
    );
}

/// Semantic tokens, decoded from the protocol's delta encoding: names are
/// coloured as what they name, with their declarations marked.
#[test]
fn semantic_tokens_classify_names_keywords_and_literals() {
    let mut server = Server::start();
    let init = server.initialize();
    let provider = &init["capabilities"]["semanticTokensProvider"];
    assert_eq!(provider["full"], true);
    let types: Vec<String> = provider["legend"]["tokenTypes"]
        .as_array()
        .expect("token types")
        .iter()
        .map(|t| t.as_str().unwrap_or_default().to_string())
        .collect();
    let modifiers: Vec<String> = provider["legend"]["tokenModifiers"]
        .as_array()
        .expect("token modifiers")
        .iter()
        .map(|t| t.as_str().unwrap_or_default().to_string())
        .collect();
    server.open(POLICY);
    let result = server.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": URI}}),
    );
    let data: Vec<u64> = result["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|n| n.as_u64().expect("a number"))
        .collect();
    assert_eq!(data.len() % 5, 0);
    // Decode: (line, UTF-16 column, length, type, modifiers) to (text, type, modifiers).
    let lines: Vec<Vec<u16>> = POLICY.lines().map(|l| l.encode_utf16().collect()).collect();
    let (mut line, mut column) = (0usize, 0usize);
    let mut tokens: Vec<(String, String, Vec<String>)> = Vec::new();
    for t in data.chunks(5) {
        let [delta_line, delta_start, length, kind, bits] =
            [t[0], t[1], t[2], t[3], t[4]].map(|n| n as usize);
        if delta_line > 0 {
            column = 0;
        }
        line += delta_line;
        column += delta_start;
        let text = String::from_utf16_lossy(&lines[line][column..column + length]);
        let mods = (0..modifiers.len())
            .filter(|i| bits & (1 << i) != 0)
            .map(|i| modifiers[i].clone())
            .collect();
        tokens.push((text, types[kind].clone(), mods));
    }
    let token = |text: &str, nth: usize| -> (String, Vec<String>) {
        tokens
            .iter()
            .filter(|(t, _, _)| t == text)
            .nth(nth)
            .map(|(_, kind, mods)| (kind.clone(), mods.clone()))
            .unwrap_or_else(|| panic!("no token {text:?} #{nth} in {tokens:?}"))
    };
    let declaration = vec!["declaration".to_string()];
    assert_eq!(token("segment", 0), ("keyword".into(), vec![]));
    assert_eq!(token("gold", 0), ("type".into(), declaration.clone()));
    // After `–`, `ü` and `😀` on line 0: UTF-16 columns decode to the right text.
    assert_eq!(token("\"Gold – für 😀\"", 0).0, "string");
    assert_eq!(token("tier", 0).0, "variable");
    assert_eq!(token("==", 0).0, "operator");
    assert_eq!(token("claim", 0), ("namespace".into(), declaration.clone()));
    // Line 1 has `ä` and `😀` before `for gold`.
    assert_eq!(token("gold", 1), ("type".into(), vec![]));
    assert_eq!(token("report", 0), ("function".into(), declaration));
    assert_eq!(token("report", 1), ("function".into(), vec![]));
    assert_eq!(token("->", 0).0, "operator");
    assert_eq!(token("1h", 0).0, "number");
    assert_eq!(token("web", 0).0, "variable");
}
