"""Programs the lab copies to its state directory and runs there: kept as real files, so they are linted,
type-checked and tested like the rest of the code; ``topology.render.lab.helper`` reads their text."""
