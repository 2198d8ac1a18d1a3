//! `calogen`: the command-line front end (the work is in the library, `lib.rs`).

fn main() {
    calogen_cli::main_with(&calogen_cli::Registry::builtin());
}
