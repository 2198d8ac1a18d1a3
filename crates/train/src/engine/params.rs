//! Named access to a module's float parameters: the dotted path burn's derive reports
//! (`layers.0.hyper_gate.weight`), the `ParamId` the optimizer keys its state on, and the values.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Tensor, TensorData};

/// One float parameter, copied to the host.
#[derive(Debug, Clone)]
pub struct NamedParam {
    pub path: String,
    pub id: ParamId,
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

#[derive(Default)]
struct PathStack(Vec<String>);

impl PathStack {
    fn enter(&mut self, name: &str) {
        self.0.push(name.to_string());
    }
    fn exit(&mut self) {
        self.0.pop();
    }
    fn join(&self) -> String {
        self.0.join(".")
    }
}

struct Collect {
    stack: PathStack,
    out: Vec<NamedParam>,
}

impl ModuleVisitor for Collect {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.stack.enter(name);
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.stack.exit();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let shape = t.dims().to_vec();
        let values = t
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("float parameter");
        self.out.push(NamedParam {
            path: self.stack.join(),
            id: param.id,
            shape,
            values,
        });
    }
}

/// All float parameters of `module`, in visiting order (stable for a given module type).
pub fn collect<M: Module>(module: &M) -> Vec<NamedParam> {
    let mut v = Collect {
        stack: PathStack::default(),
        out: Vec::new(),
    };
    module.visit(&mut v);
    v.out
}

/// The module path of every parameter leaf, without copying values.
pub fn paths<M: Module>(module: &M) -> Vec<String> {
    collect(module).into_iter().map(|p| p.path).collect()
}

/// Looks up a parameter by module path: (saved id, shape, values).
pub type ByPath<'a> = dyn Fn(&str) -> Option<(Option<ParamId>, Vec<usize>, Vec<f32>)> + 'a;

struct Load<'a> {
    stack: PathStack,
    by_path: &'a ByPath<'a>,
    missing: Vec<String>,
}

impl ModuleMapper for Load<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.stack.enter(name);
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.stack.exit();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let path = self.stack.join();
        let Some((id, shape, values)) = (self.by_path)(&path) else {
            self.missing.push(path);
            return param;
        };
        if shape != param.lazy_shape().to_vec() {
            self.missing.push(format!("{path} (shape {shape:?})"));
            return param;
        }
        let device = param.lazy_device();
        let id = id.unwrap_or(param.id);
        let t = Tensor::<D>::from_data(TensorData::new(values, shape), &device);
        param.transform_for_load(t, id)
    }
}

/// Replaces every parameter of `module` by the values `by_path` returns for its path, with the
/// given `ParamId` when one is returned (resuming needs the saved ids: Adam's state is keyed by
/// them). Returns the paths that were missing or had the wrong shape.
pub fn load<M: Module>(module: M, by_path: &ByPath) -> (M, Vec<String>) {
    let mut m = Load {
        stack: PathStack::default(),
        by_path,
        missing: Vec::new(),
    };
    let module = module.map(&mut m);
    (module, m.missing)
}
