// Cell pass: the linear RGB colour of one view at every simulation cell
// (render/cpu.py: _cell, cell_colours). One fragment per cell; row j of the
// target is row j of the state (row 0 = north). The fields arrive four to a texture in the order of
// render/scene.py's PACKED and the parameters P in that of CELL_PARAMS; each unpacking below names its
// Python index constant (F_*, P_*, VIEW_*) in a comment.
uniform sampler2D f0;   // .xyzw: F_ELEVATION, F_PLATE, F_UPLIFT, F_DRAINAGE_AREA
uniform sampler2D f1;   // .xyzw: F_BASIN, F_PRESSURE, F_TEMPERATURE, F_VAPOUR
uniform sampler2D f2;   // .xyzw: F_CO2, F_TRAILS, F_MOISTURE, F_VEGETATION
uniform sampler2D f3;   // .xyzw: F_PREY, F_PREDATORS, F_HUMANS, F_SPARKLE
uniform float P[16];   // CELL_PARAMS
uniform int view;
uniform int overlay_view;
uniform float overlay;
out vec4 colour;

int H, W;

ivec2 nb(int j, int i, int dj, int di) {   // polar reflection, wrap in longitude
    int jj = j + dj, ii = i + di;
    if (jj < 0) { jj = 0; ii += W / 2; }
    else if (jj >= H) { jj = H - 1; ii += W / 2; }
    ii = ((ii % W) + W) % W;
    return ivec2(ii, jj);
}

// opacity of the CO2 bands (ppm = 377 + 3c, 1 ppm bands; none below 378 ppm)
float co2_alpha(float c) {
    float band = floor(3.0 * clamp(c, 0.0, 3.0)) / 9.0;
    return (0.3 + 0.6 * band) * min(band * 9.0, 1.0) * P[13];   // P_HAS_CO2
}

// clamp(z/D, 0, 1) averaged over the cell and its sea neighbours (render/cpu.py: _shallowness)
float shallowness(int j, int i, float D) {
    float total = 0.0, count = 0.0;
    for (int dj = -1; dj <= 1; dj++) {
        for (int di = -1; di <= 1; di++) {
            float zz = texelFetch(f0, nb(j, i, dj, di), 0).x;   // f0.x: F_ELEVATION
            if (zz < D || (dj == 0 && di == 0)) {
                total += clamp(zz / max(D, 1e-6), 0.0, 1.0);
                count += 1.0;
            }
        }
    }
    return total / count;
}

vec3 cell(int v, int j, int i) {
    ivec2 c = ivec2(i, j);
    vec4 a0 = texelFetch(f0, c, 0), a1 = texelFetch(f1, c, 0);
    vec4 a2 = texelFetch(f2, c, 0), a3 = texelFetch(f3, c, 0);
    float D = P[1];   // P_SEA_LEVEL
    float z = a0.x;   // F_ELEVATION
    float k = 0.5 * P[5];   // P_RELIEF
    float dx = (max(texelFetch(f0, nb(j, i, 0, 1), 0).x, D) - max(texelFetch(f0, nb(j, i, 0, -1), 0).x, D)) * k;   // f0.x: F_ELEVATION
    float dy = (max(texelFetch(f0, nb(j, i, -1, 0), 0).x, D) - max(texelFetch(f0, nb(j, i, 1, 0), 0).x, D)) * k;   // f0.x: F_ELEVATION
    float shade = max(0.5 * dx - 0.5 * dy + 0.70710678, 0.0) / (sqrt(1.0 + dx * dx + dy * dy) * 0.70710678);
    bool ocean = z < D;
    float depth = ocean ? shallowness(j, i, D) : 1.0;
    vec3 oc = mix(vec3(0.01, 0.02, 0.08), vec3(0.11, 0.28, 0.51), depth);
    float h = 0.4 * max(z - D, 0.0);
    float T = a1.z;   // F_TEMPERATURE
    vec3 c3;
    if (v == 0) {   // satellite (VIEW_SATELLITE)
        if (ocean) {
            float ice = ss(-6.0, -14.0, T) * P[6] * 0.9;   // P_HAS_TEMPERATURE
            c3 = mix(oc, vec3(0.80, 0.84, 0.90) * shade, ice);
        } else {
            c3 = vec3(0.85, 0.87, 0.92);
            c3 = mix(c3, vec3(0.22, 0.17, 0.12), ss(-12.0, -8.0, T));
            c3 = mix(c3, vec3(0.72, 0.60, 0.40), ss(8.0, 18.0, T));
            c3 = mix(c3, vec3(0.60, 0.28, 0.12), ss(22.0, 32.0, T));
            float grow = clamp(a2.z / 3.0, 0.0, 1.0) * (ss(0.0, 25.0, T) - ss(25.0, 35.0, T)) * P[7];   // a2.z: F_MOISTURE, P_HAS_MOISTURE
            vec3 veg = mix(vec3(0.18, 0.36, 0.08), vec3(0.04, 0.16, 0.04), ss(10.0, 25.0, T));
            c3 = mix(c3, veg, grow);
            c3 = mix(c3, vec3(0.16, 0.14, 0.13), P[3]);   // P_ROCK
            c3 *= shade;
        }
        float low = clamp((15.0 - z) / 10.0, 0.0, 1.0);
        float e = min(P[2] * (0.15 + 0.85 * low * low), 1.0) * min(P[3], 1.0);   // P_HEAT, P_ROCK
        vec3 lava = mix(vec3(0.35, 0.02, 0.0), vec3(1.0, 0.35, 0.02), ss(0.0, 0.5, e));
        lava = mix(lava, vec3(1.0, 0.85, 0.4), ss(0.5, 1.0, e));
        c3 = mix(c3, lava, e);
        float a = clamp(0.3 * log(1.0 + max(a1.w, 0.0)), 0.0, 1.0) * P[4] * P[8];   // a1.w: F_VAPOUR; P_CLOUDS, P_HAS_VAPOUR
        return mix(c3, vec3(1.0), a);
    }
    if (v == 1) {   // plates (VIEW_PLATES)
        float q = a0.y;   // F_PLATE
        c3 = q < 0.0 ? vec3(1.0) : mix(vec3(1.0), hue(q), 0.65);
        float lum = (0.45 + 0.55 * clamp(z / 12.0, 0.0, 1.0)) * shade;
        if (ocean) lum *= 0.7;
        return mix(c3 * lum, vec3(1.0), 0.6 * clamp(a0.z, 0.0, 1.0));   // F_UPLIFT
    }
    if (v == 2) {   // rivers (VIEW_RIVERS)
        vec3 hb = hue(a1.x);   // F_BASIN
        if (ocean) return oc;
        float lum = (0.7 + 0.3 * min(h / 4.0, 1.0)) * shade;
        c3 = mix(vec3(0.42, 0.40, 0.36) * lum, 0.5 * hb * lum, 0.35);
        float a = clamp(0.15 * log(max(a0.w, 1.0)), 0.0, 1.0);   // F_DRAINAGE_AREA
        return mix(c3, hb, a);
    }
    if (v == 3) {   // temperature in 2 °C bands (VIEW_TEMPERATURE)
        float tb = floor(T / 2.0) * 2.0 + 1.0;
        if (tb < 0.0) c3 = mix(vec3(1.0), vec3(0.15, 0.35, 0.95), min(-tb / 20.0, 1.0));
        else {
            c3 = mix(vec3(1.0), vec3(1.0, 0.5, 0.1), min(tb / 25.0, 1.0));
            c3 = mix(c3, vec3(0.75, 0.08, 0.05), clamp((tb - 25.0) / 15.0, 0.0, 1.0));
        }
        return c3 * (ocean ? 0.7 : shade);
    }
    if (v == 4) {   // flow (VIEW_FLOW)
        c3 = ocean ? oc * 0.5 : vec3(0.12, 0.11, 0.10) * shade;
        float p = a1.y;   // F_PRESSURE
        vec3 tint = mix(vec3(0.85), vec3(1.0, 0.45, 0.15), ss(1012.0, 1000.0, p));
        tint = mix(tint, vec3(0.25, 0.55, 1.0), ss(1012.0, 1024.0, p));
        c3 = mix(c3, tint * 0.3, 0.3 * P[9]);   // P_HAS_PRESSURE
        return mix(c3, tint, clamp(a2.y, 0.0, 1.0) * P[10]);   // a2.y: F_TRAILS; P_HAS_TRAILS
    }
    if (v == 5) {   // life (VIEW_LIFE)
        if (ocean) return oc * 0.6;
        float V = max(a2.w, 0.0), R = max(a3.x, 0.0), X = max(a3.y, 0.0);   // F_VEGETATION, F_PREY, F_PREDATORS
        float wv = V * V, wr = R * R, wx = X * X;
        float s = wv + wr + wx + 1e-6;
        vec3 lc = (wv * vec3(0.15, 0.60, 0.10) + wr * vec3(1.0, 0.55, 0.10) + wx * vec3(0.55, 0.02, 0.02)) / s;
        float amount = min((V + R + X) / 4.0, 1.0) * P[11];   // P_HAS_LIFE
        c3 = mix(vec3(0.2, 0.18, 0.15), lc, 0.3 + 0.7 * amount);
        c3 = mix(c3, vec3(0.2, 0.18, 0.15), 1.0 - P[11]);   // P_HAS_LIFE
        float hm = clamp(a3.z, 0.0, 1.0) * P[12];   // a3.z: F_HUMANS; P_HAS_HUMANS
        c3 = mix(c3, vec3(0.95, 0.95, 0.85), 0.7 * hm);
        return c3 * shade;
    }
    if (v == 6) {   // night (VIEW_NIGHT); the lights are points drawn by project.frag from light_density
        if (ocean) return vec3(0.004, 0.008, 0.02);
        c3 = vec3(0.012, 0.012, 0.016) * shade;
        float hm = clamp(a3.z, 0.0, 1.0) * P[12];   // a3.z: F_HUMANS; P_HAS_HUMANS
        return mix(c3, vec3(0.7, 0.05, 0.02), ss(35.0, 42.0, T) * P[6] * (0.25 + 0.75 * hm));   // P_HAS_TEMPERATURE
    }
    // co2 (VIEW_CO2): ppm = 377 + 3c in 1 ppm bands
    c3 = ocean ? oc * 0.7 : vec3(0.35, 0.33, 0.30) * shade;
    float band = floor(3.0 * clamp(a2.x, 0.0, 3.0)) / 9.0;   // a2.x: F_CO2
    vec3 bc = mix(vec3(1.0, 0.9, 0.3), vec3(0.55, 0.0, 0.15), band);
    return mix(c3, bc, co2_alpha(a2.x));   // a2.x: F_CO2
}

// the chance that a light site in cell (j, i) is a city, also its brightness (render/cpu.py: light_density)
float light_density(int j, int i) {
    float D = P[1];   // P_SEA_LEVEL
    ivec2 c = ivec2(i, j);
    vec4 a0 = texelFetch(f0, c, 0), a1 = texelFetch(f1, c, 0), a3 = texelFetch(f3, c, 0);
    if (a0.x < D) return 0.0;   // a0.x: F_ELEVATION
    float hm = clamp(a3.z, 0.0, 1.0) * P[12];   // a3.z: F_HUMANS; P_HAS_HUMANS
    if (hm <= 0.0) return 0.0;
    bool coast = texelFetch(f0, nb(j, i, -1, 0), 0).x < D || texelFetch(f0, nb(j, i, 1, 0), 0).x < D   // f0.x: F_ELEVATION
              || texelFetch(f0, nb(j, i, 0, 1), 0).x < D || texelFetch(f0, nb(j, i, 0, -1), 0).x < D;   // f0.x: F_ELEVATION
    float river = ss(2.5, 5.5, log(max(a0.w, 1.0)));   // a0.w: F_DRAINAGE_AREA
    float heat = 1.0 - 0.7 * ss(30.0, 42.0, a1.z) * P[6];   // a1.z: F_TEMPERATURE; P_HAS_TEMPERATURE
    return hm * (0.35 + 0.65 * max(coast ? 1.0 : 0.0, river)) * heat;
}

void main() {
    ivec2 s = textureSize(f0, 0);
    W = s.x; H = s.y;
    int i = int(gl_FragCoord.x), j = int(gl_FragCoord.y);
    vec3 c = cell(view, j, i);
    float lights = view == 6 ? light_density(j, i) : 0.0;   // VIEW_NIGHT
    if (overlay > 0.0) {
        float a = overlay;
        if (overlay_view == 7) a *= co2_alpha(texelFetch(f2, ivec2(i, j), 0).x);   // only the CO2 bands; VIEW_CO2, f2.x: F_CO2
        c = mix(c, cell(overlay_view, j, i), a);
        lights = mix(lights, overlay_view == 6 ? light_density(j, i) : 0.0, a);   // VIEW_NIGHT
    }
    colour = vec4(c, lights);
}
