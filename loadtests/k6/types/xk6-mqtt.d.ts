// Types of the k6 MQTT extension (xk6-mqtt, `import { Client } from 'k6/x/mqtt'`) as far as the scenarios use it:
// @types/k6 does not cover extensions. Option names are snake_case, as k6 maps them to the extension's Go fields.
declare module 'k6/x/mqtt' {
  export interface ClientOptions {
    client_id?: string;
    username?: string;
    password?: string;
    tags?: Record<string, string>;
  }
  export interface ConnectOptions {
    keepalive?: number;
    connect_timeout?: number;
    clean_session?: boolean;
  }
  export interface PublishOptions {
    qos?: 0 | 1 | 2;
    retain?: boolean;
    tags?: Record<string, string>;
  }
  export interface MQTTError {
    name: 'MQTTError';
    message: string;
    method: string;
  }
  export class Client {
    constructor(options?: ClientOptions);
    readonly connected: boolean;
    connect(url: string, options?: ConnectOptions): void;
    end(): void;
    subscribe(topic: string | string[], options?: { qos?: 0 | 1 | 2 }): void;
    publish(topic: string, payload: string | ArrayBuffer, options?: PublishOptions): void;
    publishAsync(topic: string, payload: string | ArrayBuffer, options?: PublishOptions): Promise<void>;
    on(event: 'connect' | 'end' | 'reconnect', listener: () => void): void;
    on(event: 'message', listener: (topic: string, payload: ArrayBuffer) => void): void;
    on(event: 'error', listener: (error: MQTTError) => void): void;
  }
}
