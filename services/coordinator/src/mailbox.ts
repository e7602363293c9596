/**
 * The actor primitive: messages are handled one at a time, in the order sent. `send` resolves when the
 * message has been handled, so a sender that awaits it gets back-pressure and ordering for free.
 */
export class Mailbox<M> {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly handle: (message: M) => Promise<void>) {}

  send(message: M): Promise<void> {
    const handled = this.tail.then(() => this.handle(message));
    // A failed message must not wedge the ones behind it; the sender still sees the failure.
    this.tail = handled.catch(() => undefined);
    return handled;
  }

  /** Resolves once every message sent so far has been handled. */
  idle(): Promise<void> {
    return this.tail;
  }
}
