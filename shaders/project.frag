// Projection pass: map / globe / morph, bilinear sampling of the cell colours,
// wipe or day/night blend, sun lighting, single scattering, fade and gamma
// (render/projection.py: pixel_position, _sample, project; render/atmosphere.py: _atmosphere;
// render/lights.py: the night lights).
// Pixel row py counts from the top of the picture: the target is read back as is.
// Q is render/scene.py's projection_params, in the order of PROJ_PARAMS; each use below names its
// Python index constant (Q_*) in a comment.
uniform sampler2D A;
uniform sampler2D B;
uniform float Q[20];   // PROJ_PARAMS
uniform ivec2 size;
uniform float lights_seed;   // P_LIGHTS_SEED of the cell pass (render/scene.py: lights_seed)
out vec4 colour;

const float ATM_TOP = 1.035;
const float H_R = 0.010;
const float H_M = 0.0015;
const vec3 BETA_R = vec3(4.6, 10.8, 26.4);
const float BETA_M = 8.0;
const float MIE_G = 0.76;
const float SUN = 6.0;
const int ATM_STEPS = 8;

vec3 sample_cells(sampler2D C, float lat, float lon) {
    ivec2 s = textureSize(C, 0);
    int W = s.x, H = s.y;
    float u = lon / TWO_PI * float(W) - 0.5;
    float v = (HALF_PI - lat) / PI * float(H) - 0.5;
    float fi = floor(u), fj = floor(v);
    float fu = u - fi, fv = v - fj;
    int i0 = ((int(fi) % W) + W) % W;
    int i1 = (i0 + 1) % W;
    int j0 = clamp(int(fj), 0, H - 1), j1 = clamp(int(fj) + 1, 0, H - 1);
    return texelFetch(C, ivec2(i0, j0), 0).rgb * ((1.0 - fu) * (1.0 - fv))
         + texelFetch(C, ivec2(i1, j0), 0).rgb * (fu * (1.0 - fv))
         + texelFetch(C, ivec2(i0, j1), 0).rgb * ((1.0 - fu) * fv)
         + texelFetch(C, ivec2(i1, j1), 0).rgb * (fu * fv);
}

// bilinear sample of the light density, the cell colours' fourth channel (render/lights.py: _density)
float density(sampler2D C, float lat, float lon) {
    ivec2 s = textureSize(C, 0);
    int W = s.x, H = s.y;
    float u = lon / TWO_PI * float(W) - 0.5;
    float v = (HALF_PI - lat) / PI * float(H) - 0.5;
    float fi = floor(u), fj = floor(v);
    float fu = u - fi, fv = v - fj;
    int i0 = ((int(fi) % W) + W) % W;
    int i1 = (i0 + 1) % W;
    int j0 = clamp(int(fj), 0, H - 1), j1 = clamp(int(fj) + 1, 0, H - 1);
    return texelFetch(C, ivec2(i0, j0), 0).a * ((1.0 - fu) * (1.0 - fv))
         + texelFetch(C, ivec2(i1, j0), 0).a * (fu * (1.0 - fv))
         + texelFetch(C, ivec2(i0, j1), 0).a * ((1.0 - fu) * fv)
         + texelFetch(C, ivec2(i1, j1), 0).a * (fu * fv);
}

// planet/core/noise.py: hash33 (float32 "hash without sine")
vec3 hash33(vec3 p) {
    vec3 q = fract(p * vec3(0.1031, 0.1030, 0.0973));
    float d = q.x * (q.y + 19.19) + q.y * (q.x + 19.19) + q.z * (q.z + 19.19);
    q += d;
    return fract(vec3((q.x + q.y) * q.z, (q.x + q.x) * q.y, (q.y + q.x) * q.x));
}

const float LIGHT_SPACING = 0.013089969389957471;   // 0.75 degrees
const int LIGHT_ROWS = 240;
const float LIGHT_SIGMA = 0.002617993877991494;     // 0.15 degrees
const float LIGHT_GAIN = 1.5;
const vec3 LIGHT_COLOUR = vec3(1.0, 0.75, 0.4);

// the night lights at (lat, lon): seeded points that stay put (render/lights.py: _lights)
float lights(sampler2D C, float lat, float lon, float pixel) {
    if (density(C, lat, lon) <= 0.0) return 0.0;
    float sigma = max(LIGHT_SIGMA, 0.5 * pixel);
    float k = -0.5 / (sigma * sigma);
    float lonw = lon - TWO_PI * floor(lon / TWO_PI);
    float cos_lat = cos(lat);
    int r0 = clamp(int(floor((lat + HALF_PI) / LIGHT_SPACING)), 0, LIGHT_ROWS - 1);
    float total = 0.0;
    for (int r = r0 - 1; r <= r0 + 1; r++) {
        if (r < 0 || r >= LIGHT_ROWS) continue;
        float row_lat = -HALF_PI + (float(r) + 0.5) * LIGHT_SPACING;
        int n = max(int(floor(TWO_PI * cos(row_lat) / LIGHT_SPACING)), 1);
        float width = TWO_PI / float(n);
        int c0 = clamp(int(floor(lonw / width)), 0, n - 1);
        for (int dc = -1; dc <= 1; dc++) {
            int c = c0 + dc;
            if (c < 0) c += n;
            else if (c >= n) c -= n;
            vec3 h = hash33(vec3(float(r), float(c), lights_seed));
            float site_lat = -HALF_PI + (float(r) + 0.15 + 0.7 * h.x) * LIGHT_SPACING;
            float site_lon = (float(c) + 0.15 + 0.7 * h.y) * width;
            float L = density(C, site_lat, site_lon);
            if (h.z >= L) continue;
            float q = 1.0 - h.z / L;
            q = q * q;
            float dlat = lat - site_lat;
            float dlon = lonw - site_lon;
            if (dlon > PI) dlon -= TWO_PI;
            else if (dlon < -PI) dlon += TWO_PI;
            float dx = dlon * cos_lat;
            total += (0.35 + 0.65 * L) * (0.4 + 1.6 * q * q) * exp((dlat * dlat + dx * dx) * k);
        }
    }
    return total * LIGHT_GAIN * (LIGHT_SIGMA / sigma) * (LIGHT_SIGMA / sigma);
}

vec3 sample_lit(sampler2D C, float lat, float lon, float pixel) {
    return sample_cells(C, lat, lon) + LIGHT_COLOUR * lights(C, lat, lon, pixel);
}

float chapman(float mu, float c) { return c / ((c - 1.0) * max(mu, 0.0) + 1.0); }

// single Rayleigh + Mie scattering along the orthographic ray through (x, y); returns sky, writes transmittance
vec3 atmosphere(float x, float y, vec3 sun, out vec3 trans) {
    float b2 = x * x + y * y, top2 = ATM_TOP * ATM_TOP;
    trans = vec3(1.0);
    if (b2 >= top2) return vec3(0.0);
    float zt = sqrt(top2 - b2);
    float zend = b2 < 1.0 ? sqrt(1.0 - b2) : -zt;
    float ds = (zt - zend) / float(ATM_STEPS);
    float tr = 0.0, tm = 0.0;
    vec3 ir = vec3(0.0), im = vec3(0.0);
    for (int n = 0; n < ATM_STEPS; n++) {
        float zs = zt - (float(n) + 0.5) * ds;
        float r = sqrt(b2 + zs * zs);
        float hgt = max(r - 1.0, 0.0);
        float rr = exp(-hgt / H_R) * ds, rm = exp(-hgt / H_M) * ds;
        tr += 0.5 * rr; tm += 0.5 * rm;
        float mu = (x * sun.x + y * sun.y + zs * sun.z) / r;
        float lit = ss(-0.04, 0.04, mu + sqrt(max(1.0 - 1.0 / (r * r), 0.0)));   // soft planet shadow
        if (lit > 0.0) {
            float sr = rr / ds * H_R * chapman(mu, sqrt(HALF_PI * r / H_R));
            float sm = rm / ds * H_M * chapman(mu, sqrt(HALF_PI * r / H_M));
            vec3 a = exp(-(BETA_R * (tr + sr) + 1.1 * BETA_M * (tm + sm))) * lit;
            ir += rr * a; im += rm * a;
        }
        tr += 0.5 * rr; tm += 0.5 * rm;
    }
    float mu = -sun.z;
    float pr = 0.0596831 * (1.0 + mu * mu);
    float g2 = MIE_G * MIE_G;
    float pm = 0.1193662 * (1.0 - g2) * (1.0 + mu * mu) / ((2.0 + g2) * pow(1.0 + g2 - 2.0 * MIE_G * mu, 1.5));
    trans = exp(-(BETA_R * tr + 1.1 * BETA_M * tm));
    return SUN * (BETA_R * pr * ir + BETA_M * pm * im);
}

void main() {
    int px = int(gl_FragCoord.x), py = int(gl_FragCoord.y);
    float Wo = float(size.x), Ho = float(size.y);
    float k = Q[0];   // Q_K
    float x = (float(px) + 0.5 - Wo * 0.5) / Q[1];   // Q_SCALE_X
    float y = (Ho * 0.5 - float(py) - 0.5) / Q[2];   // Q_SCALE_Y
    bool inside = true;
    float lat = 0.0, lon = 0.0;
    if (k <= 0.0) {
        inside = abs(y) <= HALF_PI && abs(x) <= PI;
        lat = y; lon = x + Q[4];   // Q_CAM_LON
    } else {
        float ky = k * y;
        if (abs(ky) > 1.0) inside = false;
        else {
            float latc = asin(ky) / k;
            float c = sqrt(1.0 - ky * ky);
            float s = k * x / max(c, 1e-7);
            if (abs(s) > 1.0) inside = false;
            else {
                float lonc = asin(s) / k;
                if (abs(lonc) > PI) inside = false;
                else {
                    float cl = cos(latc);
                    vec3 p = vec3(sin(lonc) * cl, sin(latc), cos(lonc) * cl);
                    float clat = cos(Q[3]), slat = sin(Q[3]), clon = cos(Q[4]), slon = sin(Q[4]);   // Q_CAM_LAT, Q_CAM_LON
                    vec3 w = vec3(p.x * clon - p.y * slat * slon + p.z * clat * slon,
                                  p.y * clat + p.z * slat,
                                  -p.x * slon - p.y * slat * clon + p.z * clat * clon);
                    lat = asin(clamp(w.y, -1.0, 1.0));
                    lon = atan(w.x, w.z);
                }
            }
        }
    }
    vec3 c;
    float wipe = Q[5], night = Q[7], light = Q[17];   // Q_WIPE, Q_NIGHT, Q_LIGHTING
    float pixel = 1.0 / Q[2];   // radians per pixel at the centre of the globe; Q_SCALE_Y
    if (inside) {
        c = sample_lit(A, lat, lon, pixel);
        if (wipe >= 0.0) {
            float wb = clamp((wipe - (float(px) + 0.5) / Wo) / Q[6] + 0.5, 0.0, 1.0);   // Q_WIPE_SOFT
            c = mix(c, sample_lit(B, lat, lon, pixel), wb);
        } else if (night > 0.0 || light > 0.0) {
            float cl = cos(lat);
            float d = sin(lon) * cl * Q[8] + sin(lat) * Q[9] + cos(lon) * cl * Q[10];   // Q_SUN_X, Q_SUN_Y, Q_SUN_Z
            c *= 1.0 - light + light * clamp(0.2 + d, 0.0, 1.0);
            if (night > 0.0) c = mix(c, sample_lit(B, lat, lon, pixel), night * ss(0.08, -0.08, d));
        }
    } else {
        c = vec3(0.004, 0.005, 0.012);
    }
    float atm = Q[11] * ss(0.85, 1.0, k);   // Q_ATMOSPHERE
    if (atm > 0.0) {
        vec3 trans;
        vec3 sky = atmosphere(x, y, vec3(Q[14], Q[15], Q[16]), trans);   // Q_SUN_CAM_X, Q_SUN_CAM_Y, Q_SUN_CAM_Z
        c = c + (c * trans - c + sky) * atm;
    }
    c = clamp(c * Q[12], 0.0, 1.0);   // Q_FADE
    colour = vec4(floor(pow(c, vec3(Q[13])) * 255.0 + 0.5) / 255.0, 1.0);   // Q_GAMMA
}
