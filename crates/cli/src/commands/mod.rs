pub mod info;
pub mod project;
