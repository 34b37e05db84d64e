use argot::prelude::*;

struct Steps;

impl Steps {
    #[component]
    fn prepare(&self, rows: u32) -> Result<()> {
        let _ = rows;
        Ok(())
    }
}

fn main() {}
