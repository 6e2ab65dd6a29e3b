// Original file: proto/cleave/v1/split_inference.proto


export interface ListModelsRequest {
}

export interface ListModelsRequest__Output {
}
