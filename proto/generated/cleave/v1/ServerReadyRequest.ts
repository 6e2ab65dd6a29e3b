// Original file: proto/cleave/v1/split_inference.proto


export interface ServerReadyRequest {
}

export interface ServerReadyRequest__Output {
}
