"""The core every other room builds on: the grid, deterministic noise, the configuration and the
timeline, the state and its files, and the stage contract (what a process declares and how the
time loop calls it). Nothing here imports a process, the analysis, the I/O, the CLI or the
renderer."""
