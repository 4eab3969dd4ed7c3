/** The desktop window's two IPC channels. A module of its own so the preload bundle stays free of the schema library. */

/** Every call travels here (invoke/handle). */
export const CALL_CHANNEL = 'flowdesk:call';
/** Events travel here, main process to window. */
export const EVENT_CHANNEL = 'flowdesk:event';
