/**
 * Ball-in-cup task (dm_control suite/ball_in_cup.py): swing a ball tied to a
 * cup by a string up into the cup. Sparse reward: 1 while the ball lies wholly
 * inside the cup's target box. 20 ms control steps (ten 2 ms physics steps),
 * 20 s episodes (1000 steps).
 *
 * Contact softness: MuJoCo scales a contact's regularisation by the contacting
 * bodies' `body_invweight0`. Since MuJoCo 3.0 (commit 77d04007) a "simple" body
 * that only slides, such as the ball, gets 1/mass there instead of the mean of
 * the translational diagonal of J M^-1 J' that MuJoCo 2.x used (and with it the
 * published Control Suite results and the recorded reference rollouts): 3/2
 * of the old value, so the ball's contacts with the cup come out different and
 * a control step with contact moves the state 1e-3 to 3e-2 away from
 * dm_control's (measured on the reference rollout). The task restores MuJoCo
 * 2's value; the recorded 200-step rollout then reproduces to 7e-15.
 */
import type { Random } from '../../../common/random.ts';
import type { Physics } from '../physics.ts';
import type { Task, TaskFactory } from '../task.ts';

// mjtJoint value of a slide joint.
const SLIDE = 2;

/**
 * MuJoCo 2's `body_invweight0` of a body whose joints are all slides along
 * distinct coordinate axes: with J the 3 x k Jacobian of its centre of mass
 * (unit columns) and M = mass I + diag(armature), the mean of the diagonal of
 * J M^-1 J' is sum_j 1 / (mass + armature_j) / 3; no rotation, so 0 for the
 * rotational part.
 */
export function restoreLegacyInvweight(physics: Physics, body: string): void {
  const { model } = physics;
  const id = physics.id('body', body);
  const mass = (model.body_mass as Float64Array)[id];
  const firstJoint = (model.body_jntadr as Int32Array)[id];
  const jointCount = (model.body_jntnum as Int32Array)[id];
  const axes = new Set<string>();
  let sum = 0;
  for (let joint = firstJoint; joint < firstJoint + jointCount; joint++) {
    const axis = Array.from((model.jnt_axis as Float64Array).subarray(3 * joint, 3 * joint + 3), (value) => Math.round(Math.abs(value)));
    const key = axis.join(',');
    if ((model.jnt_type as Int32Array)[joint] !== SLIDE || axes.has(key) || axis.reduce((a, b) => a + b) !== 1) {
      throw new Error(`ball_in_cup: body "${body}" must move on slides along distinct coordinate axes, joint ${physics.name('joint', joint)} does not`);
    }
    axes.add(key);
    sum += 1 / (mass + (model.dof_armature as Float64Array)[(model.jnt_dofadr as Int32Array)[joint]]);
  }
  const invweight = model.body_invweight0 as Float64Array;
  invweight[2 * id] = sum / 3;
  invweight[2 * id + 1] = 0;
}

/** 1 when the ball, in the x-z plane, is inside the target box shrunk by the ball's radius. */
export function ballInCupReward(physics: Physics): number {
  const target = physics.siteXpos('target');
  const ball = physics.bodyXpos('ball');
  const halfSize = physics.modelRow('site_size', 'target');
  const ballRadius = physics.modelRow('geom_size', 'ball')[0];
  const insideX = Math.abs(target[0] - ball[0]) < halfSize[0] - ballRadius;
  const insideZ = Math.abs(target[2] - ball[2]) < halfSize[2] - ballRadius;
  return insideX && insideZ ? 1 : 0;
}

function catchTask(): Task {
  return {
    domain: 'ball_in_cup',
    name: 'catch',
    modelFile: 'ball_in_cup.xml',
    controlTimestep: 0.02,
    timeLimit: 20,
    initializeEpisode(physics: Physics, rng: Random): void {
      restoreLegacyInvweight(physics, 'ball');
      // The cup starts at rest at its origin; the ball anywhere in a box around
      // and above it that does not overlap the cup (redraw until no contact).
      for (;;) {
        physics.setJointQpos('ball_x', rng.uniform(-0.2, 0.2));
        physics.setJointQpos('ball_z', rng.uniform(0.2, 0.5));
        physics.afterReset();
        if (physics.data.ncon === 0) return;
      }
    },
    getObservation(physics: Physics): Record<string, Float64Array> {
      return { position: physics.qpos(), velocity: physics.qvel() };
    },
    getReward: ballInCupReward,
  };
}

export const tasks: Record<string, TaskFactory> = {
  catch: catchTask,
};
