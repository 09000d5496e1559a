//! The token lexer (logos) and the split of a file into top-level declarations.
//!
//! pest stops at the first syntax error; users want every error of a file at once.
//! So the lexer finds where each top-level declaration begins (a declaration keyword
//! at brace depth 0, or at the start of a line, which recovers from a missing `}`),
//! and each piece is parsed on its own. Lexical problems found here (unterminated
//! strings, stray characters, unbalanced braces) are reported here, once.

use super::{BrokenDecl, Comment, Ident, Span};
use crate::diagnostic::{Code, Diagnostic};
use logos::Logos;

/// The tokens the splitter needs. Everything else is `Word` or `Punct`.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n]+")]
pub(crate) enum Token {
    /// `# ...` to the end of the line.
    #[regex(r"#[^\n]*")]
    Comment,
    /// A string literal; without its closing quote it runs to the end of the line.
    #[regex(r#""([^"\\\n]|\\[^\n])*"?"#)]
    Text,
    /// `'text'`: a common slip for `"text"`, reported as one problem.
    #[regex(r"'[^'\n]*'")]
    SingleQuoted,
    /// `{`
    #[token("{")]
    Open,
    /// `}`
    #[token("}")]
    Close,
    /// A name, keyword, number or duration.
    #[regex(r"[A-Za-z0-9_][A-Za-z0-9_.:+-]*")]
    Word,
    /// Punctuation the grammar knows.
    #[regex(r"->|==|!=|<=|>=|\.\.|[<>()\[\],;:.|&?*+/%=-]")]
    Punct,
}

/// Keywords that begin a top-level declaration.
pub(crate) const DECLARATION_KEYWORDS: &[&str] = &[
    "use",
    "source",
    "metric",
    "segment",
    "journey",
    "expect",
    "expectations",
    "escalate",
    "test",
];

/// How deep an expression or a path may nest: parentheses, brackets, `not`s and
/// postfix operators (`?`, `*`, `+`) one inside the other. pest parses nesting by
/// recursion, and so do the later stages; past this a declaration is reported
/// (E0109) and not parsed, so no input can exhaust the stack. pest itself stops at
/// about 1 000 levels of parentheses on a 2 MB thread of a debug build and 8 800 on
/// the 8 MB main thread of a release build; real policies nest a handful deep.
pub const MAX_NESTING: usize = 128;

/// One top-level declaration's text, ready for pest.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    /// Byte offset of the chunk in the file.
    pub start: usize,
    /// The chunk's text: the file's bytes, with stray `}` blanked out and missing
    /// `}` appended, so that offsets inside the chunk are file offsets minus `start`.
    pub text: String,
    /// Where the file's own text for this chunk ends.
    pub end: usize,
    /// True when it nests deeper than [`MAX_NESTING`] (reported): it is not parsed.
    pub too_deep: bool,
}

/// The result of splitting a file.
#[derive(Debug, Default)]
pub(crate) struct Split {
    /// The declarations, in order.
    pub chunks: Vec<Chunk>,
    /// Lexical problems.
    pub diagnostics: Vec<Diagnostic>,
    /// Every comment.
    pub comments: Vec<Comment>,
    /// Spans of lexical errors, so the parser does not report them a second time.
    pub error_spans: Vec<Span>,
}

/// Split `text` into declarations, collecting comments and lexical diagnostics.
pub(crate) fn split(text: &str) -> Split {
    let mut split = Split::default();
    let mut splitter = Splitter::default();
    let mut lexer = Token::lexer(text);
    while let Some(token) = lexer.next() {
        let span = Span::new(lexer.span().start, lexer.span().end);
        match token {
            Ok(Token::Comment) => split.comments.push(Comment {
                text: text[span.start + 1..span.end].to_string(),
                span,
            }),
            Ok(Token::Text) if !is_closed_string(&text[span.start..span.end]) => {
                split.error_spans.push(span);
                split.diagnostics.push(
                    Diagnostic::new(Code::UnterminatedString, "this string is never closed")
                        .with_label(span, "the string starts here")
                        .with_help("close the string with `\"` on the same line; write `\\\"` for a quote inside it"),
                );
                // The braces an unclosed string swallowed still count.
                for (i, b) in text[span.start..span.end].bytes().enumerate() {
                    let token = match b {
                        b'{' => Token::Open,
                        b'}' => Token::Close,
                        _ => continue,
                    };
                    let at = span.start + i;
                    splitter.token(text, Span::new(at, at + 1), token, &mut split);
                }
            }
            Ok(Token::SingleQuoted) => {
                split.error_spans.push(span);
                let found = &text[span.start..span.end];
                split.diagnostics.push(
                    Diagnostic::new(
                        Code::UnexpectedCharacter,
                        format!("text in single quotes `{found}`"),
                    )
                    .with_label(span, "single quotes do not make text")
                    .with_help(format!(
                        "text goes in double quotes: `\"{}\"`",
                        &found[1..found.len() - 1]
                    )),
                );
            }
            Ok(token) => splitter.token(text, span, token, &mut split),
            Err(()) => {
                // A run of stray characters is one problem, not one per character.
                if let Some(last) = split.error_spans.last_mut().filter(|e| e.end == span.start) {
                    if let Some(d) = split
                        .diagnostics
                        .last_mut()
                        .filter(|d| d.code == Code::UnexpectedCharacter)
                    {
                        *last = last.to(span);
                        d.labels[0].span = *last;
                        d.message =
                            format!("unexpected characters `{}`", &text[last.start..last.end]);
                        continue;
                    }
                }
                split.error_spans.push(span);
                let found = &text[span.start..span.end];
                split.diagnostics.push(
                    Diagnostic::new(Code::UnexpectedCharacter, format!("unexpected character `{found}`"))
                        .with_label(span, "no token starts with this character")
                        .with_help(if found == "'" {
                            "text goes in double quotes: `\"gold\"`"
                        } else {
                            "names are ASCII letters, digits and `_`; text goes in double quotes; comments start with `#`"
                        }),
                );
            }
        }
    }
    splitter.finish(text, &mut split);
    split
}

/// Keywords followed by the name of what they declare.
const NAMING_KEYWORDS: &[&str] = &[
    "metric",
    "segment",
    "journey",
    "stage",
    "step",
    "expectations",
    "escalate",
];

/// What can be told of a declaration that did not parse, from its words alone: the
/// names it declares and the names it mentions.
pub(crate) fn recover(chunk: &Chunk) -> BrokenDecl {
    let own = chunk
        .text
        .get(..chunk.end - chunk.start)
        .unwrap_or(&chunk.text);
    // A word token may hold several names (`claim.acknowledge`) or end in a stray
    // character (`book:`): its names are its parts between such characters.
    let mut names = Token::lexer(own)
        .spanned()
        .filter(|(token, _)| *token == Ok(Token::Word))
        .map(|(_, at)| name_parts(own, at.start, at.end))
        .peekable();
    let mut broken = BrokenDecl {
        span: Span::new(chunk.start, chunk.end),
        ..BrokenDecl::default()
    };
    while let Some(parts) = names.next() {
        let keyword = matches!(parts.as_slice(), [(_, word)] if NAMING_KEYWORDS.contains(word));
        if let (true, Some(next)) = (keyword, names.peek()) {
            if let Some((at, name)) = next.first().filter(|(_, n)| !NAMING_KEYWORDS.contains(n)) {
                broken.declares.push(Ident {
                    name: name.to_string(),
                    span: Span::new(chunk.start + at, chunk.start + at + name.len()),
                });
            }
        }
        broken
            .mentions
            .extend(parts.iter().map(|(_, name)| name.to_string()));
    }
    broken.mentions.sort_unstable();
    broken.mentions.dedup();
    broken
}

/// The names in the word `text[start..end]`, with their offsets: its parts between
/// characters that cannot be in a name, those that are names.
fn name_parts(text: &str, start: usize, end: usize) -> Vec<(usize, &str)> {
    let word = &text[start..end];
    let mut parts = Vec::new();
    let mut at = 0;
    for part in word.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            parts.push((start + at, part));
        }
        at += part.len() + 1;
    }
    parts
}

/// Where the `}` of each `{` left open in `text[start..end]` is missing, told by
/// indentation: a block ends before the first line indented no deeper than the line
/// its `{` is on, unless that line starts with the block's own `}`. Each `{` comes
/// with the offset of the first non-blank character of that line, or `None` when
/// the declaration ends first. `None` overall when the indentation does not
/// account for the braces (a `}` would close nothing), and counting must do.
fn missing_closes(
    text: &str,
    start: usize,
    end: usize,
    braces: &[(usize, bool)],
) -> Option<Vec<(usize, Option<usize>)>> {
    let indent_at = |line: usize| {
        text[line..end]
            .bytes()
            .take_while(|b| *b == b' ' || *b == b'\t')
            .count()
    };
    let line_of = |at: usize| text[..at].rfind('\n').map_or(0, |n| n + 1);
    let line_starts = text[start..end]
        .match_indices('\n')
        .map(|(n, _)| (start + n + 1, None));
    let braces = braces.iter().map(|&(at, open)| (at, Some(open)));
    let mut events: Vec<(usize, Option<bool>)> = line_starts.chain(braces).collect();
    events.sort_unstable_by_key(|&(at, _)| at);
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let mut unclosed = Vec::new();
    for (at, brace) in events {
        match brace {
            Some(true) => stack.push((at, indent_at(line_of(at)))),
            Some(false) => {
                stack.pop()?;
            }
            None => {
                let indent = indent_at(at);
                let first = text[at + indent..end].bytes().next();
                if matches!(first, None | Some(b'\n' | b'\r' | b'#')) {
                    continue;
                }
                while let Some(&(open, depth)) = stack.last() {
                    let closes_it = first == Some(b'}') && depth == indent;
                    if depth < indent || closes_it {
                        break;
                    }
                    unclosed.push((open, Some(at + indent)));
                    stack.pop();
                }
            }
        }
    }
    unclosed.extend(stack.into_iter().map(|(open, _)| (open, None)));
    Some(unclosed)
}

/// E0109 at the token where a declaration first nests deeper than [`MAX_NESTING`].
fn too_deep(at: Span) -> Diagnostic {
    Diagnostic::new(
        Code::NestingTooDeep,
        format!("nested more than {MAX_NESTING} deep"),
    )
    .with_label(at, "this is too deep")
    .with_help(format!(
        "parentheses, brackets, `not`s and `?` `*` `+` may nest at most {MAX_NESTING} deep; \
         a long chain of `or` or `and` needs no parentheses, and a value among many is `x in [a, b, c]`"
    ))
}

/// True when a string token ends with its closing quote.
fn is_closed_string(token: &str) -> bool {
    let body = &token[1..];
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return i + 1 == body.len(),
            _ => escaped = false,
        }
    }
    false
}

/// State of the split while tokens stream by.
#[derive(Default)]
struct Splitter {
    /// Offsets of the `{` not yet closed in the current declaration.
    open: Vec<usize>,
    /// Start of the current declaration, if one has begun.
    current: Option<usize>,
    /// Offsets of stray `}` in the current declaration, blanked for pest.
    stray: Vec<usize>,
    /// Every `{` (true) and matched `}` (false) of the current declaration, by offset.
    braces: Vec<(usize, bool)>,
    /// How deep the current declaration nests at the current token.
    nesting: Nesting,
}

/// The nesting depth of an expression or path as its tokens stream by: one level
/// for each open `(` or `[`, each `not` in a row, and each postfix operator in a row.
#[derive(Default)]
struct Nesting {
    /// The level at each open bracket, innermost last.
    open: Vec<usize>,
    /// The level inside the innermost bracket.
    level: usize,
    /// `not`s or postfix operators in a row just before this token.
    run: usize,
    /// Where the declaration first nests too deep, once it has.
    too_deep: Option<Span>,
}

impl Nesting {
    fn token(&mut self, word: &str, span: Span) {
        match word {
            "(" | "[" => {
                self.open.push(self.level);
                self.level += self.run + 1;
                self.run = 0;
            }
            ")" | "]" => {
                self.level = self.open.pop().unwrap_or(0);
                self.run = 0;
            }
            "not" | "?" | "*" | "+" => self.run += 1,
            _ => self.run = 0,
        }
        if self.too_deep.is_none() && self.level + self.run > MAX_NESTING {
            self.too_deep = Some(span);
        }
    }
}

impl Splitter {
    fn token(&mut self, text: &str, span: Span, token: Token, split: &mut Split) {
        if matches!(token, Token::Word | Token::Punct) {
            self.nesting.token(&text[span.start..span.end], span);
        }
        match token {
            Token::Word if self.starts_declaration(text, span) => {
                self.close_chunk(text, span.start, split);
                self.current = Some(span.start);
            }
            Token::Open => {
                self.open.push(span.start);
                self.braces.push((span.start, true));
            }
            Token::Close if self.open.pop().is_some() => self.braces.push((span.start, false)),
            Token::Close => {
                self.stray.push(span.start);
                split.error_spans.push(span);
                split.diagnostics.push(
                    Diagnostic::new(Code::UnbalancedBrace, "this `}` closes nothing")
                        .with_label(span, "no `{` is open here")
                        .with_help("remove it, or add the `{` it was meant to close"),
                );
            }
            _ => {}
        }
        // Text before the first declaration still goes to pest, which explains it.
        if self.current.is_none() {
            self.current = Some(span.start);
        }
    }

    /// A declaration keyword at depth 0, or at the very start of a line.
    fn starts_declaration(&self, text: &str, span: Span) -> bool {
        let word = &text[span.start..span.end];
        if !DECLARATION_KEYWORDS.contains(&word) {
            return false;
        }
        let at_line_start = span.start == 0 || text.as_bytes().get(span.start - 1) == Some(&b'\n');
        self.open.is_empty() || at_line_start
    }

    /// End the current declaration just before `end`.
    fn close_chunk(&mut self, text: &str, end: usize, split: &mut Split) {
        let Some(start) = self.current.take() else {
            self.stray.clear();
            return;
        };
        let own = text[start..end].trim_end();
        let own_end = start + own.len();
        let mut chunk_text = own.to_string();
        for &offset in &self.stray {
            if offset < own_end {
                chunk_text.replace_range(offset - start..offset - start + 1, " ");
            }
        }
        let unclosed = if self.open.is_empty() {
            Vec::new()
        } else {
            missing_closes(text, start, own_end, &self.braces)
                .unwrap_or_else(|| self.open.iter().map(|&open| (open, None)).collect())
        };
        // Innermost first, as the `}` would come.
        for &(open, before) in unclosed.iter().rev() {
            let diagnostic = Diagnostic::new(Code::UnbalancedBrace, "this `{` is never closed")
                .with_label(Span::new(open, open + 1), "opened here");
            let placed = before.filter(|&line| {
                // The `}` takes the place of a space of the line's indent, so every
                // offset stays a file offset.
                // Several blocks may end before one line: each takes the space before the last.
                let mut at = line - 1 - start;
                while at > 0 && chunk_text.as_bytes().get(at) == Some(&b'}') {
                    at -= 1;
                }
                let blank = chunk_text
                    .as_bytes()
                    .get(at)
                    .is_some_and(|b| *b == b' ' || *b == b'\t');
                if blank {
                    chunk_text.replace_range(at..at + 1, "}");
                }
                blank
            });
            split.diagnostics.push(match placed {
                Some(line) => diagnostic
                    .with_secondary(Span::new(line, line), "its `}` is missing before this line")
                    .with_help("add the missing `}` at the end of the line before; the indentation shows where the block ends"),
                None => {
                    chunk_text.push_str(" }");
                    diagnostic
                        .with_secondary(Span::new(own_end, own_end), "the declaration ends here")
                        .with_help("add the missing `}`; a top-level declaration that starts at the beginning of a line ends the one before it")
                }
            });
        }
        self.open.clear();
        self.braces.clear();
        self.stray.clear();
        let nesting = std::mem::take(&mut self.nesting);
        if let Some(at) = nesting.too_deep {
            split.diagnostics.push(too_deep(at));
        }
        split.chunks.push(Chunk {
            start,
            text: chunk_text,
            end: own_end,
            too_deep: nesting.too_deep.is_some(),
        });
    }

    fn finish(&mut self, text: &str, split: &mut Split) {
        self.close_chunk(text, text.len(), split);
    }
}
