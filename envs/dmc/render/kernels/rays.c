/*
 * The ray caster's geometry in WebAssembly (see ../kernels.ts): the nearest
 * object along a primary ray among those listed for its tile (visibility.ts),
 * the first object along a shadow or mirror ray (secondary.ts), with analytic
 * intersections in each object's frame; and its passes over every pixel
 * (raycaster.ts): the sky and the planes of planes-only tiles before shading,
 * the bytes and the edges after. Plain IEEE double arithmetic in the TypeScript code's order (no fast
 * math, no fused multiply-add: wasm has none for f64), so frames are the same,
 * byte for byte, as the TypeScript loops this replaced gave; V8 runs it about
 * 2.5 times as fast (measured on walker's edge samples: 64 against 154 ns a ray).
 *
 * Every buffer lives in the caller's memory and is reached through `struct
 * Frame`; the code keeps nothing on the stack or in static data.
 */
#define PLANE 0
#define SPHERE 2
#define CAPSULE 3
#define ELLIPSOID 4
#define CYLINDER 5
#define BOX 6
#define EPSILON 1e-6
#define INF __builtin_inf()

/* Layout of `ray`: origin (3), direction (3), tMin, tMax, sizes (3), then on a hit t and the local normal (3). */
/* Layout of `probe`: origin (3), direction (3), tMax, then the hit's t and world normal (3). */
#define PROBE_T_MAX 6
#define PROBE_T 7
#define PROBE_NORMAL 8

struct Frame {
  int n;
  const int *type;
  const double *size;
  const double *position;
  const double *rotation;
  const double *rgba;
  const double *radius;
  const int *planes;
  int planeCount;
  /* Per object: the eye in its frame, its centre minus the eye, that distance squared. */
  const double *localOrigin;
  const double *centreOffset;
  const double *centreDistance2;
  /* Tile lists (tiles.ts): n slots per tile, counts, screen capsules (5 per object); the same for mirrored objects. */
  const int *direct;
  const int *directCount;
  const double *capsule;
  const int *mirrored;
  const int *mirroredCount;
  const double *mirroredCapsule;
  /* Shadow footprints (culling.ts): 4 per object per light. */
  const double *footprint;
  /* Primary ray: unit direction, image point (pixels); out: distance; hit[3..5] world normal. */
  double *direction;
  const double *sample;
  double *distance;
  double *hit;
  double *probe;
  double *ray;
  /* The image (raycaster.ts): size; per pixel whether to make its output again (reuse.ts), whether its
     centre and its output show the background image, its centre colour, output bytes and object id;
     per object id + 1, whether it is a body; and where the edge pixels found go. */
  int width;
  int height;
  const unsigned char *refresh;
  unsigned char *outputOnBackground;
  unsigned char *centreOnBackground;
  float *centre;
  unsigned char *bytes;
  short *ids;
  const unsigned char *isBody;
  int *edges;
  /* The centre pass (sky_pass): tiles of 2^tileShift pixels, tileColumns across, 1 where only planes are
     listed; per pixel whether to trace it, per row whether any; per sample slot (slotsPerPixel per pixel)
     its unit direction, the sky colour seen there and whether it is known, and the plane cached there
     (planeCacheLength slots, -1 for none); and the pixels left for the caller, with their planes and distances. */
  int tileShift;
  int tileColumns;
  const unsigned char *planesOnly;
  const unsigned char *trace;
  const unsigned char *rows;
  int slotsPerPixel;
  const double *directions;
  const float *sky;
  const unsigned char *skyKnown;
  const short *planeCache;
  int *work;
  int *workPlane;
  double *workDistance;
};

static int sphere(double *ray, double r, double cz, int ellipsoid) {
  double ox = ray[0], oy = ray[1], oz = ray[2] - cz;
  double dx = ray[3], dy = ray[4], dz = ray[5];
  if (ellipsoid) {
    ox /= ray[8]; oy /= ray[9]; oz /= ray[10];
    dx /= ray[8]; dy /= ray[9]; dz /= ray[10];
  }
  double a = dx * dx + dy * dy + dz * dz;
  double b = ox * dx + oy * dy + oz * dz;
  double c = ox * ox + oy * oy + oz * oz - r * r;
  double discriminant = b * b - a * c;
  if (discriminant < 0) return 0;
  double root = __builtin_sqrt(discriminant);
  double t = (-b - root) / a;
  if (t <= ray[6]) t = (-b + root) / a;
  if (t <= ray[6] || t >= ray[7]) return 0;
  ray[11] = t;
  if (ellipsoid) {
    /* Gradient of the implicit surface: the unit-sphere normal scaled by 1/size. */
    ray[12] = (ox + t * dx) / ray[8];
    ray[13] = (oy + t * dy) / ray[9];
    ray[14] = (oz + t * dz) / ray[10];
  } else {
    ray[12] = ox + t * dx;
    ray[13] = oy + t * dy;
    ray[14] = oz + t * dz;
  }
  return 1;
}

/* Capsule (radius ray[8], half-length ray[9]) or cylinder along z. */
static int round_shape(double *ray, int capsule) {
  double ox = ray[0], oy = ray[1], oz = ray[2];
  double dx = ray[3], dy = ray[4], dz = ray[5];
  double r = ray[8], h = ray[9];
  double a = dx * dx + dy * dy;
  double b = ox * dx + oy * dy;
  double c = ox * ox + oy * oy - r * r;
  double entryZ;
  if (a > 1e-12) {
    double discriminant = b * b - a * c;
    /* The shape lies inside its infinite cylinder: missing that misses the shape. */
    if (discriminant < 0) return 0;
    double root = __builtin_sqrt(discriminant);
    double t = (-b - root) / a;
    if (t <= ray[6]) t = capsule ? (-b + root) / a : -INF;
    entryZ = oz + t * dz;
    if (t > ray[6] && entryZ >= -h && entryZ <= h) {
      if (t >= ray[7]) return 0;
      ray[11] = t;
      ray[12] = ox + t * dx;
      ray[13] = oy + t * dy;
      ray[14] = 0;
      return 1;
    }
    if (t == -INF) entryZ = oz;
  } else {
    if (c > 0) return 0;
    entryZ = dz > 0 ? -INF : INF;
  }
  /* Entering the cylinder beyond an end, the first possible hit is that end's cap. */
  if (capsule) return sphere(ray, r, entryZ > h ? h : -h, 0);
  /* Cylinder: the flat end the ray meets first. */
  if (dz == 0) return 0;
  double end = dz < 0 ? h : -h;
  double t = (end - oz) / dz;
  if (t <= ray[6] || t >= ray[7]) return 0;
  double x = ox + t * dx, y = oy + t * dy;
  if (x * x + y * y > r * r) return 0;
  ray[11] = t;
  ray[12] = 0;
  ray[13] = 0;
  ray[14] = end;
  return 1;
}

static int box(double *ray) {
  /* Slabs, one axis at a time. */
  double near = -INF, far = INF, sign = 0;
  int axis = 0;
  for (int i = 0; i < 3; i++) {
    double o = ray[i], d = ray[3 + i], s = ray[8 + i];
    if (d == 0) {
      if (o < -s || o > s) return 0;
      continue;
    }
    double t1 = (-s - o) / d, t2 = (s - o) / d;
    double entry = t1 < t2 ? t1 : t2, exit = t1 < t2 ? t2 : t1;
    if (entry > near) {
      near = entry;
      axis = i;
      sign = t1 < t2 ? -1 : 1;
    }
    if (exit < far) far = exit;
  }
  if (near > far || near <= ray[6] || near >= ray[7]) return 0;
  ray[11] = near;
  ray[12] = axis == 0 ? sign : 0;
  ray[13] = axis == 1 ? sign : 0;
  ray[14] = axis == 2 ? sign : 0;
  return 1;
}

/* Seen from its front (+z) side only, as MuJoCo draws it; size 0 means infinite. */
static int plane(double *ray) {
  double oz = ray[2], dz = ray[5];
  if (oz <= 0 || dz >= 0) return 0;
  double t = -oz / dz;
  if (t <= ray[6] || t >= ray[7]) return 0;
  double x = ray[0] + t * ray[3], y = ray[1] + t * ray[4];
  double sx = ray[8], sy = ray[9];
  if ((sx > 0 && (x < -sx || x > sx)) || (sy > 0 && (y < -sy || y > sy))) return 0;
  ray[11] = t;
  ray[12] = 0;
  ray[13] = 0;
  ray[14] = 1;
  return 1;
}

/* First hit of the ray in `ray` with a shape of the given mjtGeom type: 1 (and the hit written) or 0. */
static int intersect(int type, double *ray) {
  switch (type) {
    case SPHERE: return sphere(ray, ray[8], 0, 0);
    case CAPSULE: return round_shape(ray, 1);
    case CYLINDER: return round_shape(ray, 0);
    case ELLIPSOID: return sphere(ray, 1, 0, 1);
    case BOX: return box(ray);
    case PLANE: return plane(ray);
    default: return 0;
  }
}

/* Whether the image point (x, y) lies within object k's screen capsule (tiles.ts). */
static int reaches(const double *capsule, int k, double x, double y) {
  const double *c = capsule + 5 * k;
  double reach = c[4];
  if (reach == INF) return 1;
  double x0 = c[0], y0 = c[1];
  double ex = c[2] - x0, ey = c[3] - y0;
  double px = x - 0.5 - x0, py = y - 0.5 - y0;
  double length2 = ex * ex + ey * ey;
  double along = length2 > 0 ? (px * ex + py * ey) / length2 : 0;
  along = along < 0 ? 0 : along > 1 ? 1 : along;
  double dx = px - along * ex, dy = py - along * ey;
  return dx * dx + dy * dy <= reach * reach;
}

/*
 * The ray from local point o (object k's frame) along world direction d against
 * object k within (EPSILON, tMax): 1, with its distance in ray[11] and its world
 * normal in normal[0..2], or 0.
 */
static int intersect_object(const struct Frame *f, int k, double ox, double oy, double oz, double dx, double dy, double dz, double tMax, double *normal) {
  double *ray = f->ray;
  const double *rot = f->rotation + 9 * k;
  ray[0] = ox;
  ray[1] = oy;
  ray[2] = oz;
  ray[3] = rot[0] * dx + rot[3] * dy + rot[6] * dz;
  ray[4] = rot[1] * dx + rot[4] * dy + rot[7] * dz;
  ray[5] = rot[2] * dx + rot[5] * dy + rot[8] * dz;
  ray[6] = EPSILON;
  ray[7] = tMax;
  ray[8] = f->size[3 * k];
  ray[9] = f->size[3 * k + 1];
  ray[10] = f->size[3 * k + 2];
  if (intersect(f->type[k], ray) != 1) return 0;
  /* Local normal to world. */
  normal[0] = rot[0] * ray[12] + rot[1] * ray[13] + rot[2] * ray[14];
  normal[1] = rot[3] * ray[12] + rot[4] * ray[13] + rot[5] * ray[14];
  normal[2] = rot[6] * ray[12] + rot[7] * ray[13] + rot[8] * ray[14];
  return 1;
}

/* Plane k nearer than `best` along the primary ray within its extent: its distance, or -1 (none). */
static double plane_distance(const struct Frame *f, int k, double best) {
  double dx = f->direction[0], dy = f->direction[1], dz = f->direction[2];
  const double *rot = f->rotation + 9 * k;
  const double *origin = f->localOrigin + 3 * k;
  double oz = origin[2];
  double localZ = rot[2] * dx + rot[5] * dy + rot[8] * dz;
  if (oz <= 0 || localZ >= 0) return -1;
  double t = -oz / localZ;
  if (t <= EPSILON || !(t < best)) return -1;
  double sx = f->size[3 * k], sy = f->size[3 * k + 1];
  double x = origin[0] + t * (rot[0] * dx + rot[3] * dy + rot[6] * dz);
  double y = origin[1] + t * (rot[1] * dx + rot[4] * dy + rot[7] * dz);
  if ((sx > 0 && (x < -sx || x > sx)) || (sy > 0 && (y < -sy || y > sy))) return -1;
  /* The local normal (0, 0, 1) in world coordinates: the rotation's third column. */
  f->hit[3] = rot[2];
  f->hit[4] = rot[5];
  f->hit[5] = rot[8];
  return t;
}

/* visibility.ts nearestObject: the nearest object listed for `tile` along the primary ray (-1: none). */
int nearest_object(const struct Frame *f, int tile) {
  double dx = f->direction[0], dy = f->direction[1], dz = f->direction[2];
  double sampleX = f->sample[0], sampleY = f->sample[1];
  double *ray = f->ray;
  double best = INF;
  int nearest = -1;
  int first = tile * f->n, end = first + f->directCount[tile];
  for (int a = first; a < end; a++) {
    int k = f->direct[a];
    int type = f->type[k];
    if (type == PLANE) {
      double t = plane_distance(f, k, best);
      if (t >= 0) {
        best = t;
        nearest = k;
      }
      continue;
    }
    /* The screen capsule at the ray's image point, then the bounding sphere: behind the eye, beyond the nearest hit, or off the ray. */
    if (!reaches(f->capsule, k, sampleX, sampleY)) continue;
    double radius = f->radius[k];
    const double *offset = f->centreOffset + 3 * k;
    double along = offset[0] * dx + offset[1] * dy + offset[2] * dz;
    if (along + radius < 0 || along - radius > best) continue;
    if (f->centreDistance2[k] - along * along > radius * radius * (1 + 1e-9) + 1e-12) continue;
    const double *origin = f->localOrigin + 3 * k;
    if (intersect_object(f, k, origin[0], origin[1], origin[2], dx, dy, dz, best, f->hit + 3)) {
      best = ray[11];
      nearest = k;
    }
  }
  f->distance[0] = best;
  return nearest;
}

/* The nearest plane listed for `tile` along the primary ray (-1: none), its distance in f->distance. */
static int plane_hit(const struct Frame *f, int tile) {
  double best = INF;
  int nearest = -1;
  int first = tile * f->n, end = first + f->directCount[tile];
  for (int a = first; a < end; a++) {
    int k = f->direct[a];
    double t = plane_distance(f, k, best);
    if (t >= 0) {
      best = t;
      nearest = k;
    }
  }
  f->distance[0] = best;
  return nearest;
}

/*
 * Whether the probe's ray from `w` (its origin relative to object k's centre) meets
 * object k within (EPSILON, tMax); on a hit, its distance is in ray[11] and its
 * world normal in the probe.
 */
static int hits(const struct Frame *f, int k, double wx, double wy, double wz, double tMax) {
  double *probe = f->probe;
  const double *rot = f->rotation + 9 * k;
  double ox = rot[0] * wx + rot[3] * wy + rot[6] * wz;
  double oy = rot[1] * wx + rot[4] * wy + rot[7] * wz;
  double oz = rot[2] * wx + rot[5] * wy + rot[8] * wz;
  return intersect_object(f, k, ox, oy, oz, probe[3], probe[4], probe[5], tMax, probe + PROBE_NORMAL);
}

/*
 * secondary.ts firstHit: the nearest non-plane object along the probe's ray within
 * (0, tMax), skipping `skip` and transparent objects; -1 when nothing is hit.
 * `mode` 1: a mirror ray off the ground, testing the tile's mirrored objects whose
 * mirrored screen capsule holds the primary ray's image point; 2: a shadow ray from
 * the ground toward light `light`, testing the objects whose shadow footprint holds
 * the ground point (u, v); 0: every solid (`solids`, `solidCount`).
 */
int first_hit(const struct Frame *f, int skip, int mode, int tile, int light, double u, double v, const int *solids, int solidCount) {
  double *probe = f->probe;
  double ox = probe[0], oy = probe[1], oz = probe[2];
  double dx = probe[3], dy = probe[4], dz = probe[5];
  double best = probe[PROBE_T_MAX];
  int found = -1;
  double directionLength2 = dx * dx + dy * dy + dz * dz;
  const int *list = mode == 1 ? f->mirrored : solids;
  int first = mode == 1 ? tile * f->n : 0;
  int count = mode == 1 ? f->mirroredCount[tile] : solidCount;
  const double *footprint = f->footprint + 4 * light * f->n;
  double sampleX = f->sample[0], sampleY = f->sample[1];
  /* The same for every object (worked out once, so the tests below are unchanged). */
  double scale = __builtin_sqrt(directionLength2);
  for (int a = first; a < first + count; a++) {
    int k = list[a];
    if (k == skip || f->rgba[4 * k + 3] == 0) continue;
    if (mode == 1) {
      /* A mirror ray continues, mirrored, its primary ray: the mirrored screen capsule must hold that ray's image point. */
      if (!reaches(f->mirroredCapsule, k, sampleX, sampleY)) continue;
    } else if (mode == 2) {
      const double *box = footprint + 4 * k;
      if (u < box[0] || u > box[1] || v < box[2] || v > box[3]) continue;
    }
    const double *centre = f->position + 3 * k;
    double wx = ox - centre[0], wy = oy - centre[1], wz = oz - centre[2];
    /* Bounding-sphere test: distance of the centre from the ray's line. */
    double along = -(wx * dx + wy * dy + wz * dz) / directionLength2;
    double radius = f->radius[k];
    /* Entirely behind the origin, or beyond the nearest hit so far (world units). */
    if (along * scale + radius < 0 || (along - best) * scale > radius) continue;
    double ex = wx + along * dx, ey = wy + along * dy, ez = wz + along * dz;
    if (ex * ex + ey * ey + ez * ez > radius * radius) continue;
    if (hits(f, k, wx, wy, wz, best)) {
      best = f->ray[11];
      found = k;
    }
  }
  probe[PROBE_T] = best;
  return found;
}

/*
 * secondary.ts firstPlaneHit: the nearest plane other than `skip` along the probe's
 * ray if it is nearer than what first_hit found (`found`, at the probe's distance),
 * written as first_hit writes it; otherwise `found`.
 */
int first_plane_hit(const struct Frame *f, int skip, int found) {
  double *probe = f->probe;
  double best = probe[PROBE_T];
  for (int a = 0; a < f->planeCount; a++) {
    int k = f->planes[a];
    if (k == skip || f->rgba[4 * k + 3] == 0) continue;
    const double *centre = f->position + 3 * k;
    if (hits(f, k, probe[0] - centre[0], probe[1] - centre[1], probe[2] - centre[2], best)) {
      best = f->ray[11];
      found = k;
    }
  }
  probe[PROBE_T] = best;
  return found;
}

/* `intersect` on its own, for tests: the ray in `ray` (layout above) against a shape of the given type. */
int intersect_ray(int type, double *ray) {
  return intersect(type, ray);
}

/* `reaches` on its own, for tests: whether image point (x, y) lies within object k's screen capsule. */
int reaches_point(const double *capsule, int k, double x, double y) {
  return reaches(capsule, k, x, y);
}

/* A colour channel in [0, 1] to a byte, rounded to nearest. */
static int to_byte(double value) {
  return value <= 0 ? 0 : value >= 1 ? 255 : (int)(value * 255 + 0.5);
}

/*
 * raycaster.ts refineEdges, all but the extra samples: each pixel to refresh (and,
 * with a background image, each showing it) takes its centre's colour; with
 * `antialias`, those where a neighbour sees another object and one of the two is
 * a body are listed in `edges`, in row order, for the caller to refine. Returns
 * how many were listed.
 */
int finish_pixels(const struct Frame *f, int background, int antialias) {
  int width = f->width, height = f->height, count = 0;
  const short *ids = f->ids;
  const unsigned char *isBody = f->isBody;
  for (int row = 0; row < height; row++) {
    for (int column = 0; column < width; column++) {
      int pixel = row * width + column;
      if (f->refresh[pixel] == 0 && !(background && f->outputOnBackground[pixel] == 1)) continue;
      f->outputOnBackground[pixel] = f->centreOnBackground[pixel];
      f->bytes[3 * pixel] = to_byte(f->centre[3 * pixel]);
      f->bytes[3 * pixel + 1] = to_byte(f->centre[3 * pixel + 1]);
      f->bytes[3 * pixel + 2] = to_byte(f->centre[3 * pixel + 2]);
      if (!antialias) continue;
      int id = ids[pixel];
      int body = isBody[id + 1];
      int edge = 0;
      if (column > 0 && ids[pixel - 1] != id && (body | isBody[ids[pixel - 1] + 1]) == 1) edge = 1;
      else if (column < width - 1 && ids[pixel + 1] != id && (body | isBody[ids[pixel + 1] + 1]) == 1) edge = 1;
      else if (row > 0 && ids[pixel - width] != id && (body | isBody[ids[pixel - width] + 1]) == 1) edge = 1;
      else if (row < height - 1 && ids[pixel + width] != id && (body | isBody[ids[pixel + width] + 1]) == 1) edge = 1;
      if (edge) f->edges[count++] = pixel;
    }
  }
  return count;
}

/*
 * raycaster.ts traceCentres, its first step: every pixel to trace whose tile lists
 * only planes, with no background image and no plane cached at its centre, has its
 * plane found here; where it meets none and the sky seen there is known, the
 * pixel's centre is the sky (id -1). The other pixels are listed in `work`, in row
 * order, for the caller to trace: with the plane met and its distance (its normal
 * is the plane's z axis), or plane -1 for the general search. Returns how many.
 */
int sky_pass(const struct Frame *f, int background, int planeCacheLength) {
  int width = f->width, height = f->height, count = 0;
  double *direction = f->direction;
  for (int row = 0; row < height; row++) {
    if (f->rows[row] == 0) continue;
    for (int column = 0; column < width; column++) {
      int pixel = row * width + column;
      if (f->trace[pixel] == 0) continue;
      int tile = (row >> f->tileShift) * f->tileColumns + (column >> f->tileShift);
      int slot = pixel * f->slotsPerPixel;
      int plane = -1;
      double distance = INF;
      if (f->planesOnly[tile] == 1 && !background && (slot >= planeCacheLength || f->planeCache[slot] < 0)) {
        direction[0] = f->directions[3 * slot];
        direction[1] = f->directions[3 * slot + 1];
        direction[2] = f->directions[3 * slot + 2];
        plane = plane_hit(f, tile);
        distance = f->distance[0];
        if (plane < 0 && f->skyKnown[slot] == 1) {
          f->centreOnBackground[pixel] = 0;
          f->ids[pixel] = -1;
          f->centre[3 * pixel] = f->sky[3 * slot];
          f->centre[3 * pixel + 1] = f->sky[3 * slot + 1];
          f->centre[3 * pixel + 2] = f->sky[3 * slot + 2];
          continue;
        }
      }
      f->work[count] = pixel;
      f->workPlane[count] = plane;
      f->workDistance[count] = distance;
      count++;
    }
  }
  return count;
}
