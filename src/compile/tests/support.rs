//! Test support: a tiny parser for path expressions (so tests read like the
//! language while the real parser lives elsewhere) and journey builders.
//!
//! Grammar (the precedence of `grammar/cxl.pest`): `alt := branch ('|' branch)*`,
//! `branch := par [NUM '%']`, `par := seq ('&' seq)*`, `seq := post ('->' post)*`,
//! `post := atom ('?' | '*' | '+' | '{' m [',' [n]] '}')*`, `atom := NAME | '(' alt ')'`.

use crate::syntax::{
    Branch, Duration, Ident, Journey, JourneyItem, PathExpr, PathKind, Percent, Span, Stage, Step,
    StepProp, Text,
};

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i] == b' ' {
            self.i += 1;
        }
    }
    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(t.as_bytes()) {
            self.i += t.len();
            true
        } else {
            false
        }
    }
    fn number(&mut self) -> u32 {
        self.ws();
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .unwrap()
            .parse()
            .unwrap()
    }
    fn alt(&mut self) -> PathExpr {
        let start = self.i;
        let mut branches = vec![self.branch()];
        while self.eat("|") {
            branches.push(self.branch());
        }
        if branches.len() == 1 && branches[0].weight.is_none() {
            return branches.pop().unwrap().path;
        }
        let span = Span::new(start, self.i);
        PathExpr {
            kind: PathKind::Alt { branches },
            span,
        }
    }
    fn branch(&mut self) -> Branch {
        let path = self.par();
        self.ws();
        let weight = (self.i < self.s.len() && self.s[self.i].is_ascii_digit()).then(|| {
            let start = self.i;
            let value = f64::from(self.number());
            assert!(self.eat("%"));
            Percent {
                value,
                span: Span::new(start, self.i),
            }
        });
        Branch { path, weight }
    }
    fn list(&mut self, sep: &str, next: fn(&mut Self) -> PathExpr) -> (Vec<PathExpr>, Span) {
        self.ws();
        let start = self.i;
        let mut parts = vec![next(self)];
        while self.eat(sep) {
            parts.push(next(self));
        }
        (parts, Span::new(start, self.i))
    }
    fn seq(&mut self) -> PathExpr {
        let (mut parts, span) = self.list("->", Self::post);
        if parts.len() == 1 {
            return parts.pop().unwrap();
        }
        PathExpr {
            kind: PathKind::Seq { parts },
            span,
        }
    }
    fn par(&mut self) -> PathExpr {
        let (mut branches, span) = self.list("&", Self::seq);
        if branches.len() == 1 {
            return branches.pop().unwrap();
        }
        PathExpr {
            kind: PathKind::Parallel { branches },
            span,
        }
    }
    fn post(&mut self) -> PathExpr {
        self.ws();
        let start = self.i;
        let mut e = self.atom();
        loop {
            let inner = Box::new(e.clone());
            let kind = if self.eat("?") {
                PathKind::Optional { inner }
            } else if self.eat("*") {
                PathKind::Star { inner }
            } else if self.eat("+") {
                PathKind::Plus { inner }
            } else if self.eat("{") {
                let min = self.number();
                let max = if self.eat(",") {
                    self.ws();
                    (self.s[self.i] != b'}').then(|| self.number())
                } else {
                    Some(min)
                };
                assert!(self.eat("}"));
                PathKind::Repeat { inner, min, max }
            } else {
                return e;
            };
            e = PathExpr {
                kind,
                span: Span::new(start, self.i),
            };
        }
    }
    fn atom(&mut self) -> PathExpr {
        if self.eat("(") {
            let e = self.alt();
            assert!(self.eat(")"), "missing ) at {}", self.i);
            return e;
        }
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        assert!(self.i > start, "expected a name at {}", start);
        let name = std::str::from_utf8(&self.s[start..self.i])
            .unwrap()
            .to_string();
        let step = Ident {
            name,
            span: Span::new(start, self.i),
        };
        PathExpr {
            kind: PathKind::Step { step },
            span: Span::new(start, self.i),
        }
    }
}

/// Parse a path expression; spans are byte offsets into `text`.
pub fn path(text: &str) -> PathExpr {
    let mut p = P {
        s: text.as_bytes(),
        i: 0,
    };
    let e = p.alt();
    p.ws();
    assert_eq!(p.i, text.len(), "trailing input in {text:?}");
    e
}

/// An identifier with a dummy span.
pub fn ident(name: &str) -> Ident {
    Ident {
        name: name.to_string(),
        span: Span::new(0, 0),
    }
}

/// A plain step with a dummy span.
pub fn step(name: &str) -> Step {
    Step {
        name: ident(name),
        label: None,
        props: Vec::new(),
        span: Span::new(0, 0),
    }
}

/// A backstage step.
pub fn backstage(name: &str) -> Step {
    let mut s = step(name);
    s.props.push(StepProp::Backstage(Span::new(0, 0)));
    s
}

/// A stage holding `steps`.
pub fn stage(name: &str, steps: Vec<Step>) -> JourneyItem {
    JourneyItem::Stage(Stage {
        name: ident(name),
        label: None,
        steps,
        span: Span::new(0, 0),
    })
}

/// Journey `j` with steps `steps` (no stages), the path `text`, and an optional goal.
pub fn journey(steps: &[&str], text: &str, goal: Option<&str>) -> Journey {
    let items = steps.iter().map(|s| JourneyItem::Step(step(s))).collect();
    journey_with(items, text, goal)
}

/// Journey `j` with the given items, then the path `text` and an optional goal.
pub fn journey_with(mut items: Vec<JourneyItem>, text: &str, goal: Option<&str>) -> Journey {
    let path = path(text);
    let span = path.span;
    items.push(JourneyItem::Path { path, span });
    if let Some(g) = goal {
        items.push(JourneyItem::Goal(ident(g)));
    }
    items.push(JourneyItem::AbandonAfter {
        after: Duration {
            seconds: 3600,
            span: Span::new(0, 0),
        },
        span: Span::new(0, 0),
    });
    Journey {
        name: ident("j"),
        label: Some(Text {
            value: "Test \"journey\"".into(),
            span: Span::new(0, 0),
        }),
        items,
        span: Span::new(0, 0),
    }
}
