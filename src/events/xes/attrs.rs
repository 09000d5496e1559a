//! Reading XES attribute elements (typed values, lists and containers), the
//! `<global>` defaults, and skipping what XES readers need not look at.

use super::xml::{check_value, typed_value, Elem, Item, Kind, Tag};
use super::{Fail, XesReader, MAX_DEPTH};
use crate::events::Value;
use std::io::BufRead;

impl<R: BufRead> XesReader<R> {
    /// Records `<global scope="event">` defaults.
    pub(super) fn read_global(&mut self, elem: &Elem<'_>) -> Result<(), Fail> {
        let scope_event = elem.scope.as_deref() == Some("event");
        if elem.empty {
            return Ok(());
        }
        loop {
            match self.next_owned()? {
                Item::Start(child) => {
                    if let (true, Some(key), Some(value)) = (scope_event, &child.key, &child.value)
                    {
                        self.event_defaults
                            .push((key.to_string(), value.to_string()));
                    }
                    self.skip_in(&child, Some("<global>"))?;
                }
                Item::End(_) => return Ok(()),
                Item::Eof => return Err(Fail::Eof("global")),
            }
        }
    }

    /// Skips an element and everything in it. An `<event>` skipped (the
    /// element itself, or one nested in it at any depth) is not read but
    /// rejected with its line, so every event of the file is counted.
    pub(super) fn skip(&mut self, elem: &Elem<'_>) -> Result<(), Fail> {
        self.skip_in(elem, None)
    }

    /// [`Self::skip`], naming the element `elem` is in (when it is an event).
    fn skip_in(&mut self, elem: &Elem<'_>, parent: Option<&str>) -> Result<(), Fail> {
        if elem.tag == Tag::Event {
            let place = parent.map_or_else(|| place(elem), str::to_string);
            self.reject_misplaced(&place);
        }
        if elem.empty {
            return Ok(());
        }
        let mut depth = 1u32;
        while depth > 0 {
            let (event, empty) = match self.next()? {
                Item::Start(child) => (child.tag == Tag::Event, child.empty),
                Item::End(_) => {
                    depth -= 1;
                    continue;
                }
                Item::Eof => return Err(Fail::Eof("element")),
            };
            if event {
                self.reject_misplaced(&place(elem));
            }
            if !empty {
                depth += 1;
            }
        }
        Ok(())
    }

    /// Rejects an `<event>` that is not directly in a `<trace>` (just read).
    fn reject_misplaced(&mut self, place: &str) {
        let record = self.reject(
            self.line(),
            format!("<event> in {place}"),
            format!("an `<event>` must be directly inside a `<trace>`; this one is in {place} and is not read"),
            "<event>".into(),
        );
        self.queue.push_back(record);
    }

    /// Reads one attribute element, with its children for lists and
    /// containers. With `keep` false the value is checked, not kept (`None`).
    pub(super) fn read_attr(
        &mut self,
        mut elem: Elem<'static>,
        depth: u32,
        keep: bool,
    ) -> Result<(String, Result<Option<Value>, String>), Fail> {
        let key = elem.key.take().unwrap_or_default().into_owned();
        let Tag::Attr(kind) = elem.tag else {
            self.skip(&elem)?;
            return Ok((key, Err("not an attribute".into())));
        };
        let is_list = matches!(kind, Kind::List | Kind::Container);
        let mut value = match &elem.value {
            Some(text) if keep => typed_value(kind, text, &self.time, &mut self.last_day).map(Some),
            Some(text) => check_value(kind, text, &self.time, &mut self.last_day).map(|()| None),
            None if is_list => Ok(keep.then(|| Value::List(Vec::new()))),
            None => Err(format!("`<{}>` has no `value`", kind_name(kind))),
        };
        if elem.empty {
            return Ok((key, value));
        }
        let mut items = Vec::new();
        let start = self.xml.position();
        let mut too_large = false;
        loop {
            too_large |= self.xml.position().saturating_sub(start) > self.max_record as u64;
            match self.next_owned()? {
                Item::Start(child) if child.tag == Tag::Values => {}
                Item::Start(child) if is_list && depth < MAX_DEPTH && !too_large => {
                    let (_, item) = self.read_attr(child, depth + 1, keep)?;
                    items.push(item);
                }
                Item::Start(child) => self.skip(&child)?,
                Item::End(Tag::Values) => {}
                Item::End(_) => break,
                Item::Eof => return Err(Fail::Eof("attribute")),
            }
        }
        if too_large {
            let limit = self.max_record;
            value = Err(format!(
                "larger than the record size limit of {limit} bytes"
            ));
        } else if is_list {
            let items = items.into_iter().collect::<Result<Vec<_>, _>>();
            value =
                items.map(|items| keep.then(|| Value::List(items.into_iter().flatten().collect())));
        }
        Ok((key, value))
    }
}

/// Where an event inside `elem` is, for messages.
fn place(elem: &Elem<'_>) -> String {
    match elem.tag {
        Tag::Trace => "a nested <trace>".into(),
        Tag::Event => "another <event> or an attribute".into(),
        Tag::Attr(kind) => format!("an attribute <{}>", kind_name(kind)),
        Tag::Other => format!("<{}>", elem.other.as_deref().unwrap_or("?")),
        Tag::Log => "<log>".into(),
        Tag::Global => "<global>".into(),
        Tag::Classifier => "<classifier>".into(),
        Tag::Values => "<values>".into(),
    }
}

pub(super) fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Str => "string",
        Kind::Date => "date",
        Kind::Int => "int",
        Kind::Float => "float",
        Kind::Boolean => "boolean",
        Kind::Id => "id",
        Kind::List => "list",
        Kind::Container => "container",
    }
}

/// Splits classifier keys: whitespace-separated, `'quoted keys'` may hold spaces.
pub(super) fn split_keys(keys: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = keys.trim_start();
    while !rest.is_empty() {
        let (key, tail) = match rest.strip_prefix('\'') {
            Some(quoted) => quoted.split_once('\'').unwrap_or((quoted, "")),
            None => rest.split_once(char::is_whitespace).unwrap_or((rest, "")),
        };
        out.push(key.to_string());
        rest = tail.trim_start();
    }
    out
}
