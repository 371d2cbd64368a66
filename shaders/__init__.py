"""GLSL shaders of the GPU backend, shipped as package data."""
