//! A small unpickler for the subset of the pickle protocol (≤ 4) that `torch.save` writes.
//!
//! Objects live in an arena and the stack, memo and containers refer to them by index. Python's
//! memo shares objects: `torch.save` memoises an empty dict (`EMPTY_DICT, BINPUT`) *before* filling
//! it with `SETITEMS`, so a copy-on-memoise unpickler would hand out empty dicts on `BINGET`.
//!
//! Nothing is executed: a `GLOBAL` is just a name. `REDUCE`/`NEWOBJ` of a callable we know
//! (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, `_rebuild_parameter`) builds
//! the matching object; any other callable (e.g. the repo's `configs.Configs`) becomes an opaque
//! [`Obj::Instance`], which is enough to walk past it.
//!
//! (Just over 600 lines with its tests: one opcode machine, whose dispatch and object arena read
//! best together.)

/// Index of an object in [`Unpickled::objs`].
pub(crate) type Id = usize;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Obj {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Id>),
    List(Vec<Id>),
    /// Insertion-ordered, like Python's dict.
    Dict(Vec<(Id, Id)>),
    Global {
        module: String,
        name: String,
    },
    /// The result of calling a callable we do not model; `state` is set by `BUILD`.
    Instance {
        class: Id,
        args: Vec<Id>,
        state: Option<Id>,
    },
    /// What `persistent_load` returns for torch's `('storage', type, key, location, numel)`.
    Storage {
        dtype: String,
        key: String,
        numel: usize,
    },
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`.
    Tensor {
        storage: Id,
        offset: usize,
        shape: Vec<usize>,
        stride: Vec<usize>,
    },
}

/// The object graph of one pickle, with the root object.
#[derive(Debug)]
pub(crate) struct Unpickled {
    pub objs: Vec<Obj>,
    pub root: Id,
}

impl Unpickled {
    pub fn get(&self, id: Id) -> &Obj {
        &self.objs[id]
    }

    /// The value under string key `key` when `id` is a dict.
    pub fn dict_get(&self, id: Id, key: &str) -> Option<Id> {
        match self.get(id) {
            Obj::Dict(items) => items
                .iter()
                .find(|(k, _)| matches!(self.get(*k), Obj::Str(s) if s == key))
                .map(|&(_, v)| v),
            _ => None,
        }
    }

    /// Short description for error messages ("dict with 3 keys", "configs.Configs object"...).
    pub fn describe(&self, id: Id) -> String {
        match self.get(id) {
            Obj::Dict(items) => format!("dict with {} keys", items.len()),
            Obj::Instance { class, .. } => match self.get(*class) {
                Obj::Global { module, name } => format!("{module}.{name} object"),
                _ => "object".into(),
            },
            Obj::Tensor { .. } => "tensor".into(),
            other => format!("{other:?}"),
        }
    }
}

// Opcodes, named as in CPython's pickletools.
const MARK: u8 = b'(';
const STOP: u8 = b'.';
const POP: u8 = b'0';
const POP_MARK: u8 = b'1';
const DUP: u8 = b'2';
const BININT: u8 = b'J';
const BININT1: u8 = b'K';
const BININT2: u8 = b'M';
const NONE: u8 = b'N';
const BINPERSID: u8 = b'Q';
const REDUCE: u8 = b'R';
const BINSTRING: u8 = b'T';
const SHORT_BINSTRING: u8 = b'U';
const BINUNICODE: u8 = b'X';
const APPEND: u8 = b'a';
const BUILD: u8 = b'b';
const GLOBAL: u8 = b'c';
const APPENDS: u8 = b'e';
const BINGET: u8 = b'h';
const LONG_BINGET: u8 = b'j';
const EMPTY_LIST: u8 = b']';
const BINPUT: u8 = b'q';
const LONG_BINPUT: u8 = b'r';
const SETITEM: u8 = b's';
const TUPLE: u8 = b't';
const SETITEMS: u8 = b'u';
const EMPTY_DICT: u8 = b'}';
const EMPTY_TUPLE: u8 = b')';
const BINFLOAT: u8 = b'G';
const BINBYTES: u8 = b'B';
const SHORT_BINBYTES: u8 = b'C';
const PROTO: u8 = 0x80;
const NEWOBJ: u8 = 0x81;
const TUPLE1: u8 = 0x85;
const TUPLE2: u8 = 0x86;
const TUPLE3: u8 = 0x87;
const NEWTRUE: u8 = 0x88;
const NEWFALSE: u8 = 0x89;
const LONG1: u8 = 0x8a;
const SHORT_BINUNICODE: u8 = 0x8c;
const BINUNICODE8: u8 = 0x8d;
const STACK_GLOBAL: u8 = 0x93;
const MEMOIZE: u8 = 0x94;
const FRAME: u8 = 0x95;

/// Stack entries: an object, or the position of a `MARK`.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Obj(Id),
    Mark,
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    objs: Vec<Obj>,
    stack: Vec<Slot>,
    memo: std::collections::HashMap<u32, Id>,
}

/// Parses a pickle. Errors are plain strings; the caller adds the file name.
pub(crate) fn unpickle(data: &[u8]) -> Result<Unpickled, String> {
    let mut m = Machine {
        data,
        pos: 0,
        objs: Vec::new(),
        stack: Vec::new(),
        memo: Default::default(),
    };
    loop {
        let at = m.pos;
        let op = m.byte()?;
        if op == STOP {
            let root = m.pop()?;
            return Ok(Unpickled { objs: m.objs, root });
        }
        m.step(op)
            .map_err(|e| format!("pickle opcode 0x{op:02x} at byte {at}: {e}"))?;
    }
}

impl Machine<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or("unexpected end of data")?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn line(&mut self) -> Result<String, String> {
        let rest = &self.data[self.pos..];
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("unterminated line")?;
        let s = String::from_utf8(rest[..n].to_vec()).map_err(|e| e.to_string())?;
        self.pos += n + 1;
        Ok(s)
    }

    fn string(&mut self, n: usize) -> Result<String, String> {
        let b = self.take(n)?.to_vec();
        String::from_utf8(b).map_err(|e| e.to_string())
    }

    fn new_obj(&mut self, o: Obj) -> Id {
        self.objs.push(o);
        self.objs.len() - 1
    }

    fn push(&mut self, o: Obj) {
        let id = self.new_obj(o);
        self.stack.push(Slot::Obj(id));
    }

    fn pop(&mut self) -> Result<Id, String> {
        match self.stack.pop() {
            Some(Slot::Obj(id)) => Ok(id),
            Some(Slot::Mark) => Err("found a MARK where an object was expected".into()),
            None => Err("stack underflow".into()),
        }
    }

    fn top(&self) -> Result<Id, String> {
        match self.stack.last() {
            Some(Slot::Obj(id)) => Ok(*id),
            _ => Err("no object on top of the stack".into()),
        }
    }

    /// Pops everything above the most recent MARK (and the MARK).
    fn pop_mark(&mut self) -> Result<Vec<Id>, String> {
        let at = self
            .stack
            .iter()
            .rposition(|s| matches!(s, Slot::Mark))
            .ok_or("no MARK on the stack")?;
        let items = self.stack[at + 1..]
            .iter()
            .map(|s| match s {
                Slot::Obj(id) => *id,
                Slot::Mark => unreachable!("rposition found the last mark"),
            })
            .collect();
        self.stack.truncate(at);
        Ok(items)
    }

    fn memo_put(&mut self, key: u32) -> Result<(), String> {
        let id = self.top()?;
        self.memo.insert(key, id);
        Ok(())
    }

    fn memo_get(&mut self, key: u32) -> Result<(), String> {
        let id = *self
            .memo
            .get(&key)
            .ok_or_else(|| format!("memo key {key} not set"))?;
        self.stack.push(Slot::Obj(id));
        Ok(())
    }

    fn set_items(&mut self, dict: Id, kv: &[Id]) -> Result<(), String> {
        if !kv.len().is_multiple_of(2) {
            return Err("odd number of items for a dict".into());
        }
        match &mut self.objs[dict] {
            Obj::Dict(items) => {
                for pair in kv.chunks_exact(2) {
                    items.push((pair[0], pair[1]));
                }
                Ok(())
            }
            other => Err(format!("SETITEM on a non-dict {other:?}")),
        }
    }

    fn append(&mut self, list: Id, values: &[Id]) -> Result<(), String> {
        match &mut self.objs[list] {
            Obj::List(items) => {
                items.extend_from_slice(values);
                Ok(())
            }
            other => Err(format!("APPEND on a non-list {other:?}")),
        }
    }

    fn step(&mut self, op: u8) -> Result<(), String> {
        match op {
            PROTO => {
                let v = self.byte()?;
                if v > 5 {
                    return Err(format!("unsupported pickle protocol {v}"));
                }
            }
            FRAME => {
                self.u64()?;
            }
            MARK => self.stack.push(Slot::Mark),
            POP => {
                self.stack.pop().ok_or("stack underflow")?;
            }
            POP_MARK => {
                self.pop_mark()?;
            }
            DUP => {
                let id = self.top()?;
                self.stack.push(Slot::Obj(id));
            }
            NONE => self.push(Obj::None),
            NEWTRUE => self.push(Obj::Bool(true)),
            NEWFALSE => self.push(Obj::Bool(false)),
            BININT => {
                let v = self.u32()? as i32;
                self.push(Obj::Int(v as i64));
            }
            BININT1 => {
                let v = self.byte()?;
                self.push(Obj::Int(v as i64));
            }
            BININT2 => {
                let v = self.u16()?;
                self.push(Obj::Int(v as i64));
            }
            LONG1 => {
                let n = self.byte()? as usize;
                let b = self.take(n)?;
                if n > 8 {
                    return Err(format!("integer of {n} bytes does not fit i64"));
                }
                // Two's complement little-endian, sign-extended from its top byte.
                let fill = if b.last().is_some_and(|&x| x & 0x80 != 0) {
                    0xff
                } else {
                    0
                };
                let mut buf = [fill; 8];
                buf[..n].copy_from_slice(b);
                self.push(Obj::Int(i64::from_le_bytes(buf)));
            }
            BINFLOAT => {
                // The one big-endian field of the protocol.
                let b = self.take(8)?;
                let v = f64::from_be_bytes(b.try_into().expect("8 bytes"));
                self.push(Obj::Float(v));
            }
            BINUNICODE => {
                let n = self.u32()? as usize;
                let s = self.string(n)?;
                self.push(Obj::Str(s));
            }
            SHORT_BINUNICODE => {
                let n = self.byte()? as usize;
                let s = self.string(n)?;
                self.push(Obj::Str(s));
            }
            BINUNICODE8 => {
                let n = self.u64()? as usize;
                let s = self.string(n)?;
                self.push(Obj::Str(s));
            }
            BINSTRING | BINBYTES => {
                let n = self.u32()? as usize;
                let b = self.take(n)?.to_vec();
                self.push(Obj::Bytes(b));
            }
            SHORT_BINSTRING | SHORT_BINBYTES => {
                let n = self.byte()? as usize;
                let b = self.take(n)?.to_vec();
                self.push(Obj::Bytes(b));
            }
            EMPTY_DICT => self.push(Obj::Dict(Vec::new())),
            EMPTY_LIST => self.push(Obj::List(Vec::new())),
            EMPTY_TUPLE => self.push(Obj::Tuple(Vec::new())),
            TUPLE => {
                let items = self.pop_mark()?;
                self.push(Obj::Tuple(items));
            }
            TUPLE1 | TUPLE2 | TUPLE3 => {
                let n = (op - TUPLE1 + 1) as usize;
                let mut items = (0..n).map(|_| self.pop()).collect::<Result<Vec<_>, _>>()?;
                items.reverse();
                self.push(Obj::Tuple(items));
            }
            BINPUT => {
                let k = self.byte()? as u32;
                self.memo_put(k)?;
            }
            LONG_BINPUT => {
                let k = self.u32()?;
                self.memo_put(k)?;
            }
            MEMOIZE => {
                let k = self.memo.len() as u32;
                self.memo_put(k)?;
            }
            BINGET => {
                let k = self.byte()? as u32;
                self.memo_get(k)?;
            }
            LONG_BINGET => {
                let k = self.u32()?;
                self.memo_get(k)?;
            }
            SETITEM => {
                let v = self.pop()?;
                let k = self.pop()?;
                let d = self.top()?;
                self.set_items(d, &[k, v])?;
            }
            SETITEMS => {
                let kv = self.pop_mark()?;
                let d = self.top()?;
                self.set_items(d, &kv)?;
            }
            APPEND => {
                let v = self.pop()?;
                let l = self.top()?;
                self.append(l, &[v])?;
            }
            APPENDS => {
                let vs = self.pop_mark()?;
                let l = self.top()?;
                self.append(l, &vs)?;
            }
            GLOBAL => {
                let module = self.line()?;
                let name = self.line()?;
                self.push(Obj::Global { module, name });
            }
            STACK_GLOBAL => {
                let name = self.pop()?;
                let module = self.pop()?;
                match (self.objs[module].clone(), self.objs[name].clone()) {
                    (Obj::Str(module), Obj::Str(name)) => self.push(Obj::Global { module, name }),
                    _ => return Err("STACK_GLOBAL needs two strings".into()),
                }
            }
            BINPERSID => {
                let pid = self.pop()?;
                let storage = self.persistent_load(pid)?;
                self.push(storage);
            }
            REDUCE | NEWOBJ => {
                let args = self.pop()?;
                let func = self.pop()?;
                let args = match &self.objs[args] {
                    Obj::Tuple(a) => a.clone(),
                    other => return Err(format!("call arguments are not a tuple: {other:?}")),
                };
                let result = self.call(func, args)?;
                self.stack.push(Slot::Obj(result));
            }
            BUILD => {
                let state = self.pop()?;
                let target = self.top()?;
                // Only opaque instances keep a state; tensors and dicts ignore theirs
                // (OrderedDict's BUILD state is empty, a tensor's is its Python attributes).
                if let Obj::Instance { state: s, .. } = &mut self.objs[target] {
                    *s = Some(state);
                }
            }
            other => return Err(format!("unsupported opcode 0x{other:02x}")),
        }
        Ok(())
    }

    fn str_of(&self, id: Id) -> Option<&str> {
        match &self.objs[id] {
            Obj::Str(s) => Some(s),
            _ => None,
        }
    }

    fn int_of(&self, id: Id) -> Result<usize, String> {
        match &self.objs[id] {
            Obj::Int(v) if *v >= 0 => Ok(*v as usize),
            other => Err(format!("expected a non-negative int, found {other:?}")),
        }
    }

    fn ints_of(&self, id: Id) -> Result<Vec<usize>, String> {
        match &self.objs[id] {
            Obj::Tuple(items) => items.iter().map(|&i| self.int_of(i)).collect(),
            other => Err(format!("expected a tuple of ints, found {other:?}")),
        }
    }

    /// torch's persistent ids: `('storage', <torch.FloatStorage>, key, location, numel)`.
    fn persistent_load(&mut self, pid: Id) -> Result<Obj, String> {
        let items = match &self.objs[pid] {
            Obj::Tuple(items) if items.len() == 5 => items.clone(),
            other => return Err(format!("unsupported persistent id {other:?}")),
        };
        if self.str_of(items[0]) != Some("storage") {
            return Err("persistent id is not a torch storage".into());
        }
        let dtype = match &self.objs[items[1]] {
            Obj::Global { name, .. } => name.clone(),
            other => return Err(format!("storage type is {other:?}")),
        };
        let key = self
            .str_of(items[2])
            .ok_or("storage key is not a string")?
            .to_string();
        let numel = self.int_of(items[4])?;
        Ok(Obj::Storage { dtype, key, numel })
    }

    fn call(&mut self, func: Id, args: Vec<Id>) -> Result<Id, String> {
        let (module, name) = match &self.objs[func] {
            Obj::Global { module, name } => (module.as_str(), name.as_str()),
            other => return Err(format!("call of a non-global {other:?}")),
        };
        match (module, name) {
            ("collections", "OrderedDict") if args.is_empty() => {
                Ok(self.new_obj(Obj::Dict(Vec::new())))
            }
            ("torch._utils", "_rebuild_tensor_v2") => {
                if args.len() < 4 {
                    return Err("_rebuild_tensor_v2 needs (storage, offset, size, stride)".into());
                }
                if !matches!(self.objs[args[0]], Obj::Storage { .. }) {
                    return Err("_rebuild_tensor_v2 without a storage".into());
                }
                let tensor = Obj::Tensor {
                    storage: args[0],
                    offset: self.int_of(args[1])?,
                    shape: self.ints_of(args[2])?,
                    stride: self.ints_of(args[3])?,
                };
                Ok(self.new_obj(tensor))
            }
            // nn.Parameter(tensor, requires_grad, hooks): the data is the tensor.
            ("torch._utils", "_rebuild_parameter") if !args.is_empty() => Ok(args[0]),
            _ => Ok(self.new_obj(Obj::Instance {
                class: func,
                args,
                state: None,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pickle.dumps({'a': [1, 2.5], 'b': ('x', True, None)}, protocol=2)` assembled by hand, plus
    /// a memoised dict that is filled after it is memoised and fetched again with BINGET.
    #[test]
    fn containers_and_shared_memo() {
        let mut p = vec![PROTO, 2, EMPTY_DICT, BINPUT, 0, MARK];
        p.extend([BINUNICODE, 1, 0, 0, 0, b'a']);
        p.extend([EMPTY_LIST, MARK, BININT1, 1, BINFLOAT]);
        p.extend(2.5f64.to_be_bytes());
        p.extend([APPENDS]);
        p.extend([BINUNICODE, 1, 0, 0, 0, b'b']);
        p.extend([SHORT_BINUNICODE, 1, b'x', NEWTRUE, NONE, TUPLE3]);
        p.extend([SETITEMS]);
        // root = (d, d) where the second d comes from the memo
        let mut q = vec![PROTO, 2];
        q.extend(&p[2..]);
        q.extend([BINGET, 0, TUPLE2, STOP]);
        let u = unpickle(&q).unwrap();
        let Obj::Tuple(items) = u.get(u.root) else {
            panic!("root is not a tuple")
        };
        assert_eq!(items[0], items[1], "memo must share the dict");
        let a = u.dict_get(items[1], "a").unwrap();
        let Obj::List(l) = u.get(a) else {
            panic!("a is not a list")
        };
        assert_eq!(u.get(l[0]), &Obj::Int(1));
        assert_eq!(u.get(l[1]), &Obj::Float(2.5));
        assert!(u.dict_get(items[0], "b").is_some());
    }

    #[test]
    fn long1_is_signed() {
        let u = unpickle(&[PROTO, 2, LONG1, 2, 0x00, 0xff, STOP]).unwrap();
        assert_eq!(u.get(u.root), &Obj::Int(-256));
    }

    #[test]
    fn truncated_data_is_an_error() {
        let e = unpickle(&[PROTO, 2, BINUNICODE, 9, 0, 0, 0, b'a']).unwrap_err();
        assert!(e.contains("end of data"), "{e}");
    }
}
