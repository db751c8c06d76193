import type { Application } from './model.js';
import type { TimerHandle } from './timers.js';
import type { World } from './world.js';

/**
 * User activity (docs/ucwa-protocol.md §4.2–§4.3): once an application called makeMeAvailable, it must
 * report activity (`reportMyActivity`) or it expires with 410 InactiveApplicationExpired
 * (ApplicationDashboard.md). How long a real server waits is not documented: `activityTimeoutMs`.
 */
export class ActivityWatch {
  private readonly timers = new Map<Application, TimerHandle>();

  constructor(private readonly world: World) {}

  /** makeMeAvailable or a report: the window starts again. */
  touch(app: Application): void {
    const ms = this.world.opts.activityTimeoutMs;
    if (ms <= 0) return;
    this.stop(app);
    const timer = this.world.timers.setTimeout(() => {
      this.timers.delete(app);
      if (!app.available || !this.world.applications.has(app.id)) return;
      this.world.recorder.action({
        kind: 'applicationExpired',
        href: app.paths.self,
        applicationId: app.id,
        body: { subcode: 'InactiveApplicationExpired', afterMs: ms },
      });
      this.world.removeApplication(app, '410');
    }, ms);
    if (timer) this.timers.set(app, timer);
  }

  /** The application is gone or no longer available: nothing to watch. */
  stop(app: Application): void {
    this.world.timers.clearTimeout(this.timers.get(app));
    this.timers.delete(app);
  }
}
