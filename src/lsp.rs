//! The language server behind `cxl lsp`: the protocol loop over an
//! [`lsp_server::Connection`] and what it answers, for one `.cxl` document at a time.
//!
//! The loop keeps the text of every open document (full sync), publishes
//! [`crate::check_source`]'s diagnostics on each open and change, and answers
//! outline, hover, definition, references, completion, formatting and semantic
//! token requests from [`Analysis`], which re-parses the document per request:
//! policies are small, and a fresh parse can never be stale. The connection itself
//! (stdio) is the CLI's.

mod analysis;
mod index;
mod position;
mod tokens;

pub use analysis::Analysis;
pub use index::{Kind, NameIndex, Occurrence};
pub use position::LineIndex;
pub use tokens::legend;

use crate::format::FormatError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument,
    Notification as NotificationTrait, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References,
    Request as RequestTrait, SemanticTokensFullRequest,
};
use lsp_types::{
    CompletionOptions, CompletionResponse, DocumentSymbolResponse, GotoDefinitionResponse, Hover,
    HoverContents, HoverProviderCapability, Location, MarkupContent, MarkupKind, OneOf,
    PublishDiagnosticsParams, SemanticTokens, SemanticTokensFullOptions, SemanticTokensOptions,
    SemanticTokensResult, SemanticTokensServerCapabilities, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use std::collections::HashMap;

/// Why the server stopped before a clean shutdown.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The client broke the protocol (no `initialize` first, a bad message).
    #[error("language server protocol error: {0}")]
    Protocol(#[from] lsp_server::ProtocolError),
    /// The client went away while the server still had something to send.
    #[error("the client closed the connection")]
    Disconnected,
}

impl ServeError {
    /// True when the client's side of the connection is gone (its input ended, or a
    /// message could not be read): the transport knows why, the server does not.
    pub fn is_disconnected(&self) -> bool {
        match self {
            ServeError::Protocol(error) => error.channel_is_disconnected(),
            ServeError::Disconnected => true,
        }
    }
}

/// What the server can do, as told to the client in `initialize`.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![" ".to_string()]),
            ..Default::default()
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: None,
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

/// Serve one client on `connection` until it shuts down, or its input ends.
pub fn serve(connection: &Connection) -> Result<(), ServeError> {
    let capabilities =
        serde_json::to_value(capabilities()).map_err(|_| ServeError::Disconnected)?;
    connection.initialize(capabilities)?;
    let mut server = Server {
        connection,
        documents: HashMap::new(),
    };
    // The channel closes when stdin ends: a client that died without `exit`.
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    return Ok(());
                }
                server.request(request)?;
            }
            Message::Notification(notification) => {
                if notification.method == "exit" {
                    return Ok(());
                }
                server.notification(notification)?;
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

struct Server<'c> {
    connection: &'c Connection,
    /// The text of each open document, by URI.
    documents: HashMap<String, (Uri, String)>,
}

impl Server<'_> {
    fn send(&self, message: impl Into<Message>) -> Result<(), ServeError> {
        self.connection
            .sender
            .send(message.into())
            .map_err(|_| ServeError::Disconnected)
    }

    fn notification(&mut self, notification: Notification) -> Result<(), ServeError> {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(params) = notification
                    .extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                {
                    let doc = params.text_document;
                    self.update(doc.uri, doc.text, Some(doc.version))?;
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(params) = notification.extract::<lsp_types::DidChangeTextDocumentParams>(
                    DidChangeTextDocument::METHOD,
                ) {
                    // Full sync: the last change holds the whole text.
                    if let Some(change) = params.content_changes.into_iter().last() {
                        let doc = params.text_document;
                        self.update(doc.uri, change.text, Some(doc.version))?;
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(params) = notification
                    .extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                {
                    let uri = params.text_document.uri;
                    self.documents.remove(uri.as_str());
                    self.publish(uri, Vec::new(), None)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn update(&mut self, uri: Uri, text: String, version: Option<i32>) -> Result<(), ServeError> {
        let diagnostics = Analysis::new(&text).diagnostics(&uri);
        self.documents
            .insert(uri.as_str().to_string(), (uri.clone(), text));
        self.publish(uri, diagnostics, version)
    }

    fn publish(
        &self,
        uri: Uri,
        diagnostics: Vec<lsp_types::Diagnostic>,
        version: Option<i32>,
    ) -> Result<(), ServeError> {
        let params = PublishDiagnosticsParams::new(uri, diagnostics, version);
        self.send(Notification::new(
            PublishDiagnostics::METHOD.to_string(),
            params,
        ))
    }

    fn text(&self, uri: &Uri) -> Option<&str> {
        self.documents
            .get(uri.as_str())
            .map(|(_, text)| text.as_str())
    }

    fn request(&mut self, request: Request) -> Result<(), ServeError> {
        let id = request.id.clone();
        let response = match self.answer(request) {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        };
        self.send(response)
    }

    /// The result of a request, or the error code and message to answer with.
    fn answer(&self, request: Request) -> Result<serde_json::Value, (ErrorCode, String)> {
        let invalid =
            |e: lsp_server::ExtractError<Request>| (ErrorCode::InvalidParams, format!("{e}"));
        let to_json = |value: serde_json::Result<serde_json::Value>| {
            value.map_err(|e| (ErrorCode::InternalError, e.to_string()))
        };
        match request.method.as_str() {
            DocumentSymbolRequest::METHOD => {
                let (_, params) = request
                    .extract::<lsp_types::DocumentSymbolParams>(DocumentSymbolRequest::METHOD)
                    .map_err(invalid)?;
                let result = self
                    .text(&params.text_document.uri)
                    .map(|text| DocumentSymbolResponse::Nested(Analysis::new(text).symbols()));
                to_json(serde_json::to_value(result))
            }
            HoverRequest::METHOD => {
                let (_, params) = request
                    .extract::<lsp_types::HoverParams>(HoverRequest::METHOD)
                    .map_err(invalid)?;
                let at = params.text_document_position_params;
                let result = self.text(&at.text_document.uri).and_then(|text| {
                    let (value, range) = Analysis::new(text).hover(at.position)?;
                    Some(Hover {
                        contents: HoverContents::Markup(MarkupContent {
                            kind: MarkupKind::Markdown,
                            value,
                        }),
                        range: Some(range),
                    })
                });
                to_json(serde_json::to_value(result))
            }
            GotoDefinition::METHOD => {
                let (_, params) = request
                    .extract::<lsp_types::GotoDefinitionParams>(GotoDefinition::METHOD)
                    .map_err(invalid)?;
                let at = params.text_document_position_params;
                let uri = at.text_document.uri;
                let result = self.text(&uri).and_then(|text| {
                    let range = Analysis::new(text).definition(at.position)?;
                    Some(GotoDefinitionResponse::Scalar(Location::new(
                        uri.clone(),
                        range,
                    )))
                });
                to_json(serde_json::to_value(result))
            }
            References::METHOD => {
                let (_, params) = request
                    .extract::<lsp_types::ReferenceParams>(References::METHOD)
                    .map_err(invalid)?;
                let at = params.text_document_position;
                let uri = at.text_document.uri;
                let result = self.text(&uri).map(|text| {
                    Analysis::new(text)
                        .references(at.position, params.context.include_declaration)
                        .into_iter()
                        .map(|range| Location::new(uri.clone(), range))
                        .collect::<Vec<_>>()
                });
                to_json(serde_json::to_value(result))
            }
            Completion::METHOD => {
                let (_, params) = request
                    .extract::<lsp_types::CompletionParams>(Completion::METHOD)
                    .map_err(invalid)?;
                let at = params.text_document_position;
                let result = self.text(&at.text_document.uri).map(|text| {
                    CompletionResponse::Array(Analysis::new(text).completions(at.position))
                });
                to_json(serde_json::to_value(result))
            }
            Formatting::METHOD => {
                let (_, params) = request
                    .extract::<lsp_types::DocumentFormattingParams>(Formatting::METHOD)
                    .map_err(invalid)?;
                let Some(text) = self.text(&params.text_document.uri) else {
                    return to_json(Ok(serde_json::Value::Null));
                };
                match Analysis::new(text).formatting() {
                    Ok(edits) => to_json(serde_json::to_value(edits)),
                    // The diagnostics already show the errors: no edits, and a
                    // document that does not parse is never half formatted.
                    Err(FormatError::Syntax(_)) => to_json(Ok(serde_json::Value::Null)),
                    Err(error @ FormatError::Unstable(_)) => {
                        Err((ErrorCode::RequestFailed, error.to_string()))
                    }
                }
            }
            SemanticTokensFullRequest::METHOD => {
                let (_, params) = request
                    .extract::<lsp_types::SemanticTokensParams>(SemanticTokensFullRequest::METHOD)
                    .map_err(invalid)?;
                let result = self.text(&params.text_document.uri).map(|text| {
                    SemanticTokensResult::Tokens(SemanticTokens {
                        result_id: None,
                        data: Analysis::new(text).semantic_tokens(),
                    })
                });
                to_json(serde_json::to_value(result))
            }
            method => Err((
                ErrorCode::MethodNotFound,
                format!("cxl lsp does not handle `{method}`"),
            )),
        }
    }
}
