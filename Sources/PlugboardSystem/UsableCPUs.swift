internal import CPlugboardSystem

/// The CPUs this process may run on.
package enum UsableCPUs {
    /// How many CPUs the calling thread may run on (its affinity, which `taskset` and cpusets
    /// narrow); 1 where that can't be read.
    package static var count: Int { max(1, Int(CPlugboardSystem_usableCPUCount())) }
}
