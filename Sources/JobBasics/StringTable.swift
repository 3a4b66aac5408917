import CXXHash

/// A table from strings (paths, instance names) to values, for the state's hundreds of
/// thousands of rows. Keys and values are kept in insertion order in two dense arrays, found
/// through an open-addressed index of 32-bit positions hashed with XXH3: at 200,000 files it
/// holds a third of the memory of a `Dictionary` (whose buckets stay mostly empty and hold
/// each value in place), so it is filled with fewer page faults, and a lookup touches less.
public struct StringTable<Value> {
    /// Keys in the order they were first added; a removed key stays, its value nil.
    @usableFromInline var keys: [String] = []
    @usableFromInline var values: [Value?] = []
    /// Position in `keys` + 1 (0: empty, `tombstone`: a removed key was here); a power of two.
    @usableFromInline var index: [UInt32] = []
    /// Occupied slots of `index`, removed keys' included (they end probes only when rebuilt).
    @usableFromInline var used = 0
    /// Keys present (removed ones not counted).
    @usableFromInline var storedCount = 0
    public var count: Int { storedCount }

    @usableFromInline static var tombstone: UInt32 { .max }

    public init() {}

    /// Room for `capacity` keys without growing.
    public init(minimumCapacity capacity: Int) {
        reserveCapacity(capacity)
    }

    public var isEmpty: Bool { count == 0 }

    @inlinable
    public mutating func reserveCapacity(_ capacity: Int) {
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
        if Self.slots(for: capacity) > index.count { rebuild(slots: Self.slots(for: capacity)) }
    }

    /// Slots for `n` keys at most half full: a power of two.
    @inlinable static func slots(for n: Int) -> Int {
        var s = 16
        while s < 2 * n { s *= 2 }
        return s
    }

    @inlinable
    static func hash(_ key: String) -> UInt64 {
        if let h = key.utf8.withContiguousStorageIfAvailable({ XXH3_64bits($0.baseAddress, $0.count) }) { return h }
        var copy = key
        return copy.withUTF8 { XXH3_64bits($0.baseAddress, $0.count) }
    }

    /// The slot of `index` that holds `key`, if present.
    @inlinable
    func slot(of key: String) -> Int? {
        if index.isEmpty { return nil }
        let mask = index.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(key)) & mask
        while true {
            let entry = index[slot]
            if entry == 0 { return nil }
            if entry != Self.tombstone, keys[Int(entry) - 1] == key { return slot }
            slot = (slot + 1) & mask
        }
    }

    /// The position in `keys` of `key`, if present.
    @inlinable
    func position(of key: String) -> Int? {
        // No closure (see the subscript).
        guard let slot = slot(of: key) else { return nil }
        return Int(index[slot]) - 1
    }

    @inlinable
    public subscript(key: String) -> Value? {
        // No closure here: one capturing `self` copied the table, retaining its three arrays,
        // for each lookup (and from two cores at once, those counts bounced between them).
        get {
            guard let p = position(of: key) else { return nil }
            return values[p]
        }
        set {
            if let newValue { updateValue(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    // Inlinable, like the lookups, so that each table is specialized where it is used: the
    // generic versions looked up type metadata on every call.
    @inlinable
    public mutating func updateValue(_ value: Value, forKey key: String) {
        if let p = position(of: key) {
            values[p] = value
        } else {
            insert(value, forKey: key)
        }
    }

    /// Adds `key` with `value` unless it is there: then returns its value, and changes nothing.
    /// (One probe where a lookup followed by an update made two.)
    @inlinable @discardableResult
    public mutating func insert(_ value: Value, forKey key: String) -> Value? {
        if 2 * (used + 1) > index.count { rebuild(slots: Self.slots(for: count + 1)) }
        let mask = index.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(key)) & mask
        var free: Int?
        while index[slot] != 0 {
            let entry = index[slot]
            if entry == Self.tombstone {
                if free == nil { free = slot }
            } else if keys[Int(entry) - 1] == key {
                return values[Int(entry) - 1]
            }
            slot = (slot + 1) & mask
        }
        if free == nil { used += 1 }
        keys.append(key)
        values.append(value)
        index[free ?? slot] = UInt32(keys.count)
        storedCount += 1
        return nil
    }

    @inlinable @discardableResult
    public mutating func removeValue(forKey key: String) -> Value? {
        guard let slot = slot(of: key) else { return nil }
        let p = Int(index[slot]) - 1
        let old = values[p]
        values[p] = nil
        index[slot] = Self.tombstone
        storedCount -= 1
        return old
    }

    /// Every key with its value, in the order they were added.
    public var entries: some Sequence<(key: String, value: Value)> {
        zip(keys, values).lazy.compactMap { k, v in v.map { (k, $0) } }
    }

    /// The same table as a `Dictionary`, made on each call (for tests and tools).
    public var dictionary: [String: Value] {
        Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b })
    }

    /// The index again, with `slots` slots, and without the removed keys.
    @inlinable
    mutating func rebuild(slots: Int) {
        if count < keys.count {
            var keptKeys: [String] = []
            var keptValues: [Value?] = []
            keptKeys.reserveCapacity(max(count, keys.capacity))
            keptValues.reserveCapacity(max(count, values.capacity))
            for (k, v) in zip(keys, values) where v != nil {
                keptKeys.append(k)
                keptValues.append(v)
            }
            keys = keptKeys
            values = keptValues
        }
        index = [UInt32](repeating: 0, count: slots)
        let mask = slots - 1
        for (p, key) in keys.enumerated() {
            var slot = Int(truncatingIfNeeded: Self.hash(key)) & mask
            while index[slot] != 0 { slot = (slot + 1) & mask }
            index[slot] = UInt32(p + 1)
        }
        used = keys.count
    }
}

extension StringTable: Sendable where Value: Sendable {}
