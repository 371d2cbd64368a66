// Shared helpers of cells.frag and project.frag (same maths as render/cpu.py and render/projection.py).
const float PI = 3.14159265358979;
const float HALF_PI = 1.57079632679490;
const float TWO_PI = 6.28318530717959;

float ss(float a, float b, float x) {
    float t = clamp((x - a) / (b - a), 0.0, 1.0);
    return t * t * (3.0 - 2.0 * t);
}

// fully saturated colour of hue q in [0, 1)
vec3 hue(float q) {
    float x = q * 6.0;
    return clamp(abs(mod(vec3(x, x + 4.0, x + 2.0), 6.0) - 3.0) - 1.0, 0.0, 1.0);
}
