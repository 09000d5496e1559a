// The client half of cxl's editor support: start `cxl lsp` over stdio for `.cxl`
// files. Everything the editor shows (diagnostics, hover, definitions, references,
// completion, the outline) comes from the server; this file only starts it.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("cxl").get("path", "cxl");
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "cxl",
    "cxl language server",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "cxl" }, { scheme: "untitled", language: "cxl" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
