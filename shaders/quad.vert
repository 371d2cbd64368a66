#version 330
// A full-screen triangle pair; the fragment shaders work from gl_FragCoord.
in vec2 in_pos;
void main() { gl_Position = vec4(in_pos, 0.0, 1.0); }
