export {
  type ChatChannel,
  type ChatSinkOptions,
  type ChatSinkServer,
  type FailOptions,
  type ReceivedMessage,
  type RejectedMessage,
  startChatSink,
} from './server.js';
